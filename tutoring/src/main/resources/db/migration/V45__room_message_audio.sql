-- The tutor's lines keep the URL of their spoken audio in the stored transcript (the seed's message model).
ALTER TABLE room_messages ADD COLUMN audio_url VARCHAR(2048);
