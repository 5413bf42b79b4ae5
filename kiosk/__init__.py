"""School Station Kiosk: gate, dorm, canteen and office stations for boarding schools."""

__version__ = "0.1.0"
