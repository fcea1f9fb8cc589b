"""The composition root: builds Store -> services -> app from Settings (with the server).

The only module that imports every layer. Until the server exists it has nothing to build.
"""
