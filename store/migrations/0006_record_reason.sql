-- A record's "error" now says only why it failed; why it was skipped or
-- waits for a retry is its "reason". Records are JSON written by
-- encoding/json, where a top-level key follows a comma and no string holds
-- an unescaped quote, so the key is renamed as text, on both databases.
UPDATE triage_investigation SET record = replace(record, ',"error":', ',"reason":')
WHERE state <> 'failed' AND record LIKE '%,"error":%';
