DROP TABLE IF EXISTS property_valuations;
