"""What people see: tables in every format, the report page, figures and progress."""
