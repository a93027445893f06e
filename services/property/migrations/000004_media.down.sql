-- The stored files themselves are not touched: they live outside the database.
DROP TABLE IF EXISTS property_documents;
DROP TABLE IF EXISTS property_images;
