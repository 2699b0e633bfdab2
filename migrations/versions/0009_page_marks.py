"""page marks: where every thousandth entry of a long listing sits, kept exact by triggers

listing_marks holds the sort keys of entries 0, 1000, 2000... of a listing, computed the
first time a deep page is asked for by number (blogsite/blog/page_marks.py);
listing_version is one row that triggers on blogs and blog_tags bump in every transaction
that changes what a listing holds or its order. The trigger DDL is a frozen copy of
blogsite/blog/page_marks_schema.py at this revision (tests/test_page_marks.py checks that
both build the same objects). Nothing to backfill: marks are computed when first needed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

POSTGRES = [
    """CREATE OR REPLACE FUNCTION listing_version_bump() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN
        IF current_setting('blogsite.listing_bumped', true) IS DISTINCT FROM '1' THEN
            PERFORM set_config('blogsite.listing_bumped', '1', true);
            INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1;
        END IF;
        RETURN NULL;
    END $$""",
    'CREATE CONSTRAINT TRIGGER listing_version_blog_insert AFTER INSERT OR DELETE ON blogs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION listing_version_bump()',
    'CREATE CONSTRAINT TRIGGER listing_version_blog_update AFTER UPDATE ON blogs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.publish_at IS DISTINCT FROM NEW.publish_at OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.author_id IS DISTINCT FROM NEW.author_id) EXECUTE FUNCTION listing_version_bump()',
    'CREATE CONSTRAINT TRIGGER listing_version_link_insert AFTER INSERT OR DELETE ON blog_tags DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION listing_version_bump()',
    'CREATE CONSTRAINT TRIGGER listing_version_link_update AFTER UPDATE ON blog_tags DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.blog_id IS DISTINCT FROM NEW.blog_id OR OLD.tag_id IS DISTINCT FROM NEW.tag_id OR OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.publish_at IS DISTINCT FROM NEW.publish_at) EXECUTE FUNCTION listing_version_bump()',
    'CREATE TRIGGER listing_version_blog_truncate AFTER TRUNCATE ON blogs FOR EACH STATEMENT EXECUTE FUNCTION listing_version_bump()',
    'CREATE TRIGGER listing_version_link_truncate AFTER TRUNCATE ON blog_tags FOR EACH STATEMENT EXECUTE FUNCTION listing_version_bump()',
]
POSTGRES_DROP = [
    'DROP TRIGGER IF EXISTS listing_version_blog_insert ON blogs',
    'DROP TRIGGER IF EXISTS listing_version_blog_update ON blogs',
    'DROP TRIGGER IF EXISTS listing_version_link_insert ON blog_tags',
    'DROP TRIGGER IF EXISTS listing_version_link_update ON blog_tags',
    'DROP TRIGGER IF EXISTS listing_version_blog_truncate ON blogs',
    'DROP TRIGGER IF EXISTS listing_version_link_truncate ON blog_tags',
    'DROP FUNCTION IF EXISTS listing_version_bump()',
]
SQLITE = [
    'CREATE TRIGGER listing_version_blog_insert AFTER INSERT ON blogs BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
    'CREATE TRIGGER listing_version_blog_delete AFTER DELETE ON blogs BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
    'CREATE TRIGGER listing_version_blog_update AFTER UPDATE ON blogs WHEN old.status IS NOT new.status OR old.publish_at IS NOT new.publish_at OR old.created_at IS NOT new.created_at OR old.author_id IS NOT new.author_id BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
    'CREATE TRIGGER listing_version_link_insert AFTER INSERT ON blog_tags BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
    'CREATE TRIGGER listing_version_link_delete AFTER DELETE ON blog_tags BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
    'CREATE TRIGGER listing_version_link_update AFTER UPDATE ON blog_tags WHEN old.blog_id IS NOT new.blog_id OR old.tag_id IS NOT new.tag_id OR old.status IS NOT new.status OR old.created_at IS NOT new.created_at OR old.publish_at IS NOT new.publish_at BEGIN INSERT INTO listing_version (id, version) SELECT 1, coalesce(max(version), 0) + 1 FROM listing_marks WHERE true ON CONFLICT (id) DO UPDATE SET version = listing_version.version + 1; END',
]
SQLITE_DROP = [
    'DROP TRIGGER IF EXISTS listing_version_blog_insert',
    'DROP TRIGGER IF EXISTS listing_version_blog_delete',
    'DROP TRIGGER IF EXISTS listing_version_blog_update',
    'DROP TRIGGER IF EXISTS listing_version_link_insert',
    'DROP TRIGGER IF EXISTS listing_version_link_delete',
    'DROP TRIGGER IF EXISTS listing_version_link_update',
]


def _triggers(drop=False):
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRES_DROP if drop else POSTGRES
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    return []


def upgrade():
    op.create_table(
        'listing_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'listing_marks',
        sa.Column('listing', sa.String(length=64), nullable=False),
        sa.Column('version', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sort_key', sa.DateTime(timezone=True), nullable=False),
        sa.Column('blog_id', sa.Integer(), nullable=False),
        sa.Column('shown_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('listing', 'version', 'position'),
    )
    for statement in _triggers():
        op.execute(statement)


def downgrade():
    for statement in _triggers(drop=True):
        op.execute(statement)
    op.drop_table('listing_marks')
    op.drop_table('listing_version')
