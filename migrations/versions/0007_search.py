"""search: a full-text index of the blogs kept by triggers (PostgreSQL tsvector + GIN, SQLite FTS5)

Title (weight A), tag names (B) and body (C). Existing blogs are indexed here; from then on
triggers on blogs, blog_tags and tags keep the index in step with every write. The DDL is a
frozen copy of blogsite/search/schema.py at this revision (tests/test_search_schema.py
checks that they build the same objects).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

POSTGRES = [
    """CREATE TABLE blog_search (
        blog_id integer PRIMARY KEY REFERENCES blogs (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    'CREATE INDEX ix_blog_search_document ON blog_search USING gin (document)',
    """CREATE FUNCTION blog_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO blog_search (blog_id, document)
        SELECT b.id, setweight(to_tsvector('english', b.title), 'A') || setweight(to_tsvector('english', coalesce((SELECT string_agg(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = b.id), '')), 'B') || setweight(to_tsvector('english', b.content), 'C') FROM blogs b WHERE b.id = ANY (ids)
        ON CONFLICT (blog_id) DO UPDATE SET document = EXCLUDED.document
    $$""",
    """CREATE FUNCTION blog_search_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'blogs' AND TG_OP = 'INSERT' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT id FROM new_rows));
        ELSIF TG_TABLE_NAME = 'blogs' THEN
            PERFORM blog_search_refresh(ARRAY(
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.title IS DISTINCT FROM o.title OR n.content IS DISTINCT FROM o.content));
        ELSIF TG_TABLE_NAME = 'tags' THEN
            PERFORM blog_search_refresh(ARRAY(
                SELECT bt.blog_id FROM blog_tags bt JOIN new_rows n ON n.id = bt.tag_id
                JOIN old_rows o ON o.id = n.id WHERE n.name IS DISTINCT FROM o.name));
        ELSIF TG_OP = 'INSERT' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT DISTINCT blog_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM blog_search_refresh(ARRAY(SELECT DISTINCT blog_id FROM old_rows));
        ELSE
            PERFORM blog_search_refresh(ARRAY(SELECT blog_id FROM (
                (SELECT blog_id, tag_id FROM old_rows EXCEPT SELECT blog_id, tag_id FROM new_rows)
                UNION
                (SELECT blog_id, tag_id FROM new_rows EXCEPT SELECT blog_id, tag_id FROM old_rows)
            ) moved));
        END IF;
        RETURN NULL;
    END $$""",
    'CREATE TRIGGER blog_search_blogs_insert AFTER INSERT ON blogs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
    'CREATE TRIGGER blog_search_blogs_update AFTER UPDATE ON blogs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
    'CREATE TRIGGER blog_search_links_insert AFTER INSERT ON blog_tags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
    'CREATE TRIGGER blog_search_links_delete AFTER DELETE ON blog_tags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
    'CREATE TRIGGER blog_search_links_update AFTER UPDATE ON blog_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
    'CREATE TRIGGER blog_search_tags_update AFTER UPDATE ON tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION blog_search_on_change()',
]
POSTGRES_BACKFILL = "INSERT INTO blog_search (blog_id, document) SELECT b.id, setweight(to_tsvector('english', b.title), 'A') || setweight(to_tsvector('english', coalesce((SELECT string_agg(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = b.id), '')), 'B') || setweight(to_tsvector('english', b.content), 'C') FROM blogs b"
POSTGRES_DROP = [
    'DROP TRIGGER IF EXISTS blog_search_blogs_insert ON blogs',
    'DROP TRIGGER IF EXISTS blog_search_blogs_update ON blogs',
    'DROP TRIGGER IF EXISTS blog_search_links_insert ON blog_tags',
    'DROP TRIGGER IF EXISTS blog_search_links_delete ON blog_tags',
    'DROP TRIGGER IF EXISTS blog_search_links_update ON blog_tags',
    'DROP TRIGGER IF EXISTS blog_search_tags_update ON tags',
    'DROP FUNCTION IF EXISTS blog_search_on_change()',
    'DROP FUNCTION IF EXISTS blog_search_refresh(integer[])',
    'DROP TABLE IF EXISTS blog_search',
]
SQLITE = [
    """CREATE VIRTUAL TABLE blog_search USING fts5(
        title, tags, body, tokenize = 'porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER blog_search_blog_insert AFTER INSERT ON blogs BEGIN
        INSERT INTO blog_search (rowid, title, tags, body)
        VALUES (new.id, new.title, (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = new.id), new.content);
    END""",
    """CREATE TRIGGER blog_search_blog_update AFTER UPDATE OF title, content ON blogs BEGIN
        UPDATE blog_search SET title = new.title, body = new.content WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER blog_search_blog_delete AFTER DELETE ON blogs BEGIN
        DELETE FROM blog_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER blog_search_link_insert AFTER INSERT ON blog_tags BEGIN
        UPDATE blog_search SET tags = (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = blog_search.rowid) WHERE rowid = new.blog_id;
    END""",
    """CREATE TRIGGER blog_search_link_delete AFTER DELETE ON blog_tags BEGIN
        UPDATE blog_search SET tags = (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = blog_search.rowid) WHERE rowid = old.blog_id;
    END""",
    """CREATE TRIGGER blog_search_link_update AFTER UPDATE OF blog_id, tag_id ON blog_tags BEGIN
        UPDATE blog_search SET tags = (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = blog_search.rowid) WHERE rowid IN (old.blog_id, new.blog_id);
    END""",
    """CREATE TRIGGER blog_search_tag_update AFTER UPDATE OF name ON tags BEGIN
        UPDATE blog_search SET tags = (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = blog_search.rowid) WHERE rowid IN (SELECT blog_id FROM blog_tags WHERE tag_id = new.id);
    END""",
    """CREATE TRIGGER blog_search_tag_delete AFTER DELETE ON tags BEGIN
        UPDATE blog_search SET tags = (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = blog_search.rowid) WHERE rowid IN (SELECT blog_id FROM blog_tags WHERE tag_id = old.id);
    END""",
]
SQLITE_BACKFILL = "INSERT INTO blog_search (rowid, title, tags, body) SELECT b.id, b.title, (SELECT group_concat(t.name, ' ') FROM blog_tags bt JOIN tags t ON t.id = bt.tag_id WHERE bt.blog_id = b.id), b.content FROM blogs b"
SQLITE_DROP = [
    'DROP TRIGGER IF EXISTS blog_search_blog_insert',
    'DROP TRIGGER IF EXISTS blog_search_blog_update',
    'DROP TRIGGER IF EXISTS blog_search_blog_delete',
    'DROP TRIGGER IF EXISTS blog_search_link_insert',
    'DROP TRIGGER IF EXISTS blog_search_link_delete',
    'DROP TRIGGER IF EXISTS blog_search_link_update',
    'DROP TRIGGER IF EXISTS blog_search_tag_update',
    'DROP TRIGGER IF EXISTS blog_search_tag_delete',
    'DROP TABLE IF EXISTS blog_search',
]


def _statements():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRES, POSTGRES_BACKFILL, POSTGRES_DROP
    if dialect == "sqlite":
        return SQLITE, SQLITE_BACKFILL, SQLITE_DROP
    return [], None, []


def upgrade():
    create, backfill, _ = _statements()
    for statement in create:
        op.execute(statement)
    if backfill:
        op.execute(backfill)


def downgrade():
    for statement in _statements()[2]:
        op.execute(statement)
