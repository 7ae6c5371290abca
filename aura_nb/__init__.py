"""aura_nb: learn and drive the Neo4j Aura API from notebooks."""
