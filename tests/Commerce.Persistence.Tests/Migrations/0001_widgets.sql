CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO widgets (id, name) VALUES (1, 'first');
