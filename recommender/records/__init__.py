"""Entity records for the API and the pages: CRUD, uploads, safe workbooks."""
