"""Write rules shared by the editor, the console and the CLI.

``validation`` (text, links, phones, e-mail), ``validators`` (the same rules as WTForms
validators), ``slugs``, ``authors`` (accounts and author profiles) and ``publishing``
(status, tags, covers, deleting). Nothing here imports a face (blog, auth, admin, commands).
"""
