"""listing indexes: (created_at, id) for keyset order and index-only deep pages; tag -> blogs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.create_index('ix_blogs_status_created_at_id', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_blogs_author_id_status_created_at_id', ['author_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_blogs_status_created_at')
        batch_op.drop_index('ix_blogs_author_id_status_created_at')
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.create_index('ix_blog_tags_tag_id_blog_id', ['tag_id', 'blog_id'], unique=False)
        batch_op.drop_index('ix_blog_tags_tag_id')


def downgrade():
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.create_index('ix_blog_tags_tag_id', ['tag_id'], unique=False)
        batch_op.drop_index('ix_blog_tags_tag_id_blog_id')
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.create_index('ix_blogs_author_id_status_created_at', ['author_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_blogs_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.drop_index('ix_blogs_author_id_status_created_at_id')
        batch_op.drop_index('ix_blogs_status_created_at_id')
