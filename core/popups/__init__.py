"""Pop-ups: picking up a drop's physical units at a place and time instead of shipping."""
