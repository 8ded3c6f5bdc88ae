"""Cut a file along its syntax with tree-sitter, or into line windows."""
