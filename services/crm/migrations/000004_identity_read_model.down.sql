DROP TABLE IF EXISTS known_team_members, known_teams, known_users;
