DROP TABLE IF EXISTS tasks, interactions;
