-- An upload recorded in a chat is a message that says which file it was (GET /api/message/list carries them, as the
-- Virtual Tutor backend's messages did): file_type is the category (document, image, audio), file_path the object
-- key of the stored upload. NULL on ordinary messages.
ALTER TABLE chat_messages ADD COLUMN file_type VARCHAR(16);
ALTER TABLE chat_messages ADD COLUMN file_path VARCHAR(200);
