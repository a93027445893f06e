DROP TABLE IF EXISTS property_imports;
