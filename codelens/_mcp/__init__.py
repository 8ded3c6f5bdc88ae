"""The MCP server: tools, background jobs and allowed roots."""
