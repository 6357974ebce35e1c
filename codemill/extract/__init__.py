"""Stage 1: turn raw sources (textbook PDFs, StackExchange dumps) into clean markdown."""
