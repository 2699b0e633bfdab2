"""tag listings: copy each blog's status and created_at onto blog_tags, index them; author changes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    # Backfill from the blogs (the app keeps them in step from here on).
    op.execute(
        "UPDATE blog_tags SET "
        "status = (SELECT status FROM blogs WHERE blogs.id = blog_tags.blog_id), "
        "created_at = (SELECT created_at FROM blogs WHERE blogs.id = blog_tags.blog_id)"
    )
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.create_index('ix_blog_tags_tag_id_status_created_at_blog_id', ['tag_id', 'status', 'created_at', 'blog_id'], unique=False)
        batch_op.drop_index('ix_blog_tags_tag_id_blog_id')
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.create_index('ix_blogs_author_id_status_updated_at', ['author_id', 'status', 'updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('blogs', schema=None) as batch_op:
        batch_op.drop_index('ix_blogs_author_id_status_updated_at')
    with op.batch_alter_table('blog_tags', schema=None) as batch_op:
        batch_op.create_index('ix_blog_tags_tag_id_blog_id', ['tag_id', 'blog_id'], unique=False)
        batch_op.drop_index('ix_blog_tags_tag_id_status_created_at_blog_id')
        batch_op.drop_column('created_at')
        batch_op.drop_column('status')
