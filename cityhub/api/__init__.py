"""HTTP API: routes parse input, call one service function, render the result."""
