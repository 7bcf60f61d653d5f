"""Independent reference implementations the service is checked against."""
