"""Scheduled crawls: the schedule file, cron expressions and the run lock."""
