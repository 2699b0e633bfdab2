"""media: uploaded pictures; a cover is an uploaded picture or, as before, a link

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=False),
    sa.Column('blog_id', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blog_id'], ['blogs.id'], name=op.f('fk_media_files_blog_id_blogs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_media_files_uploader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files'))
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_files_blog_id'), ['blog_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_files_name'), ['name'], unique=False)

    # Existing covers keep their link; a new cover may be an upload instead.
    with op.batch_alter_table('cover_images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('alt_text', sa.String(length=300), nullable=False, server_default=''))
        batch_op.alter_column('image_link', existing_type=sa.String(length=500), nullable=True)
        batch_op.create_index(batch_op.f('ix_cover_images_media_id'), ['media_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cover_images_media_id_media_files'), 'media_files', ['media_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint('source', 'image_link IS NOT NULL OR media_id IS NOT NULL')
    with op.batch_alter_table('cover_images', schema=None) as batch_op:
        batch_op.alter_column('alt_text', existing_type=sa.String(length=300), server_default=None)


def downgrade():
    # Uploaded covers have no link to fall back on: they go, their blogs keep no cover
    # (SQLite enforces no foreign keys here: clear the blogs' pointers first).
    op.execute(
        "UPDATE blogs SET cover_image_id = NULL WHERE cover_image_id IN "
        "(SELECT id FROM cover_images WHERE image_link IS NULL)"
    )
    op.execute("DELETE FROM cover_images WHERE image_link IS NULL")
    with op.batch_alter_table('cover_images', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cover_images_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_cover_images_media_id_media_files'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cover_images_media_id'))
        batch_op.alter_column('image_link', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column('alt_text')
        batch_op.drop_column('media_id')
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_files_name'))
        batch_op.drop_index(batch_op.f('ix_media_files_blog_id'))
    op.drop_table('media_files')
