-- Roles for Relais (see docs/ADMIN.md): the owner migrates, the application role is restricted.
CREATE ROLE relais_owner LOGIN PASSWORD 'relais_owner' BYPASSRLS;
CREATE ROLE relais_app LOGIN PASSWORD 'relais_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE relais OWNER relais_owner;
