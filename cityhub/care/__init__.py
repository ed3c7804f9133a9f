"""Community care: home-care visit scheduling (vehicle routing with time windows)."""
