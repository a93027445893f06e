DROP TABLE IF EXISTS known_users;
