"""Sensor ingestion, IoT-agent style: provisioning, JSON and UltraLight 2.0, over MQTT and HTTP."""
