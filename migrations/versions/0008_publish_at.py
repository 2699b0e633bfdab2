"""scheduled publishing: blogs.publish_at (copied onto blog_tags), listing indexes end with it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True))
    # Every existing blog has publish_at NULL (visible as before): nothing to backfill.
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.create_index('ix_blogs_status_created_at_id_publish_at', ['status', 'created_at', 'id', 'publish_at'], unique=False)
        batch_op.create_index('ix_blogs_author_status_created_id_publish', ['author_id', 'status', 'created_at', 'id', 'publish_at'], unique=False)
        batch_op.create_index('ix_blogs_author_status_updated_publish', ['author_id', 'status', 'updated_at', 'publish_at'], unique=False)
        batch_op.create_index('ix_blogs_status_publish_at', ['status', 'publish_at'], unique=False)
        batch_op.drop_index('ix_blogs_status_created_at_id')
        batch_op.drop_index('ix_blogs_author_id_status_created_at_id')
        batch_op.drop_index('ix_blogs_author_id_status_updated_at')
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.create_index('ix_blog_tags_tag_status_created_blog_publish', ['tag_id', 'status', 'created_at', 'blog_id', 'publish_at'], unique=False)
        batch_op.drop_index('ix_blog_tags_tag_id_status_created_at_blog_id')


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy of the tables: a
    # copy renames blogs and blog_tags under the search triggers of 0007, which SQLite refuses.
    op.create_index('ix_blog_tags_tag_id_status_created_at_blog_id', 'blog_tags', ['tag_id', 'status', 'created_at', 'blog_id'], unique=False)
    op.drop_index('ix_blog_tags_tag_status_created_blog_publish', table_name='blog_tags')
    op.drop_column('blog_tags', 'publish_at')
    op.create_index('ix_blogs_author_id_status_updated_at', 'blogs', ['author_id', 'status', 'updated_at'], unique=False)
    op.create_index('ix_blogs_author_id_status_created_at_id', 'blogs', ['author_id', 'status', 'created_at', 'id'], unique=False)
    op.create_index('ix_blogs_status_created_at_id', 'blogs', ['status', 'created_at', 'id'], unique=False)
    op.drop_index('ix_blogs_status_publish_at', table_name='blogs')
    op.drop_index('ix_blogs_author_status_updated_publish', table_name='blogs')
    op.drop_index('ix_blogs_author_status_created_id_publish', table_name='blogs')
    op.drop_index('ix_blogs_status_created_at_id_publish_at', table_name='blogs')
    op.drop_column('blogs', 'publish_at')
