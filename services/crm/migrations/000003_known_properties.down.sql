DROP TABLE IF EXISTS known_properties;
