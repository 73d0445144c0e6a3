"""Non-learned ways to set the chain, to compare the analyzer against."""
