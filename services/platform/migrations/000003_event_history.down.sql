DROP TABLE event_history;
