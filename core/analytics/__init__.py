"""What the creator learns from the data: each metric an aggregate query in the database,
never rows loaded into Python."""
