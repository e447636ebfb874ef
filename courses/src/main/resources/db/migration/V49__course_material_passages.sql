-- The passages of an indexed course material as extracted at upload (issue 24/25): the course index is rebuilt, caught
-- up on another node, and exam generation reads passages from here instead of fetching and extracting the document
-- again. seq is the passage's order in the material, page its page (0 for a document without pages).
CREATE TABLE course_material_passages (
    material_id VARCHAR(40) NOT NULL REFERENCES course_materials (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (material_id, seq)
);
