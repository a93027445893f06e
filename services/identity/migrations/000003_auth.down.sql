DROP FUNCTION IF EXISTS login_lookup(text);
DROP POLICY IF EXISTS users_login_lookup ON users;
DROP TABLE IF EXISTS login_throttles;
DROP TABLE IF EXISTS login_attempts;
DROP TABLE IF EXISTS refresh_tokens;
