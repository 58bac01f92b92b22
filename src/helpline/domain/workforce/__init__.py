"""Workforce management maths: staffing (Erlang B, C and A); forecasting and scheduling come later."""
