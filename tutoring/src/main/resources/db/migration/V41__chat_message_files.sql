-- An upload recorded in a chat is a message that says which file it was (GET /api/message/list carries them, as the
-- Virtual Tutor backend's messages did): file_type is the category (document, image, audio), file_path the object
-- key of the stored upload. NULL on ordinary messages.
ALTER TABLE chat_messages ADD COLUMN file_type VARCHAR(16);
ALTER TABLE chat_messages ADD COLUMN file_path VARCHAR(200);
-- Uploads recorded before this: their message said "Uploaded file: <name>". Each takes its file's path and type, and
-- the wording the Virtual Tutor backend used ("Uploaded document: <name>").
UPDATE chat_messages SET file_path = (SELECT f.object_key FROM user_files f
        WHERE f.session_id = CAST(chat_messages.session_id AS VARCHAR(40))
        AND chat_messages.content = 'Uploaded file: ' || f.filename ORDER BY f.id LIMIT 1)
    WHERE role = 'user' AND content LIKE 'Uploaded file: %';
UPDATE chat_messages SET file_type = (SELECT CASE WHEN f.file_type IN ('png', 'jpg') THEN 'image'
        WHEN f.file_type IN ('wav', 'mp3', 'm4a') THEN 'audio' ELSE 'document' END
        FROM user_files f WHERE f.object_key = chat_messages.file_path)
    WHERE file_path IS NOT NULL;
UPDATE chat_messages SET content = 'Uploaded ' || file_type || ': ' || SUBSTR(content, 16)
    WHERE file_type IS NOT NULL AND content LIKE 'Uploaded file: %';
