DROP TABLE IF EXISTS property_valuations;
DROP TABLE IF EXISTS known_properties;
