DROP TABLE IF EXISTS person_organisations, people;
