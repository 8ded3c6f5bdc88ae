-- Where a chunk of a notebook sits: its cell (1-based, as JupyterLab numbers cells), the
-- cell's kind and execution count, and its lines within the cell. NULL for other files.
ALTER TABLE chunks
    ADD COLUMN cell_number     integer CHECK (cell_number >= 1),
    ADD COLUMN cell_kind       text CHECK (cell_kind IN ('code', 'markdown', 'raw', 'output')),
    ADD COLUMN execution_count integer,
    ADD COLUMN cell_start_line integer CHECK (cell_start_line >= 1),
    ADD COLUMN cell_end_line   integer,
    ADD CONSTRAINT chunks_cell_lines CHECK (cell_end_line >= cell_start_line),
    ADD CONSTRAINT chunks_cell_place CHECK ((cell_number IS NULL) = (cell_kind IS NULL));
