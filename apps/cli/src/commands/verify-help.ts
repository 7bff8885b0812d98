// The stores file format for `loadline verify --help`: a plain string, so the CLI can show
// it without loading the verifier (and zod) for every command.
export const STORES_HELP = `stores file (YAML or JSON); \${VAR} and \${VAR:-default} expand from the environment:

  shadowIds:                      # ID ranges only shadow traffic uses (feeders, --remap)
    users: [900000000, 999999999] # name: [min, max], inclusive
  postgres:
    - name: mall
      url: \${DATABASE_URL}
      tables:                     # production tables; each a finding when it holds
        orders:                   #   a row whose column is in a shadow range,
          shadowIds: { user_id: users }
          runId: [ref]            #   or a row whose column contains the run id
  redis:
    - name: mall
      url: redis://127.0.0.1:6379
      keys:                       # production keys (SCAN MATCH); a finding when the
        - match: "demo:cart:*"    #   id captured by the regex is in the range, or a
          id: "^demo:cart:(.+)$"  #   field of the hash / JSON string value is
          range: users
          fields: { userId: users }
      queues:                     # BullMQ: a job in a production queue is a finding
        - prefix: demo:bull       #   when it carries the shadow tag or the run id, or
          name: orders            #   a data field in a shadow range
          fields: { userId: users }
`;
