DROP TABLE webhook_logs;
DROP TABLE webhook_messages;
DROP TABLE webhook_endpoints;
