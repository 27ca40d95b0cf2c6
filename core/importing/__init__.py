"""Reading recommendation files (UHRI, UPR Info, Consulta's template) into the store."""
