"""Distances on the Earth, without any geocoding service.

The haversine formula is accurate to well under one percent at the distances
people travel to a service. A search first narrows candidates to a latitude
and longitude box in SQL (an indexed range), then measures exactly in Python.
"""

import math

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344


def haversine_km(lat1, lon1, lat2, lon2):
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat, lon, radius_km):
    """(min_lat, max_lat, min_lon, max_lon) containing every point within radius_km.

    Near the poles (or across the antimeridian) the box is widened to every
    longitude rather than risk leaving a place out.
    """
    d_lat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = max(-90.0, lat - d_lat), min(90.0, lat + d_lat)
    cos_lat = math.cos(math.radians(lat))
    if cos_lat < 1e-6 or max_lat >= 90 or min_lat <= -90:
        return min_lat, max_lat, -180.0, 180.0
    d_lon = math.degrees(math.asin(min(1.0, math.sin(radius_km / EARTH_RADIUS_KM) / cos_lat)))
    min_lon, max_lon = lon - d_lon, lon + d_lon
    if min_lon < -180 or max_lon > 180:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lon, max_lon


def miles(km):
    return km / KM_PER_MILE
