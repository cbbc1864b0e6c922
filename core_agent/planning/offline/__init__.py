"""The offline planner: sentence embeddings, keyword cues and argument extraction, no network.

`planner.OfflinePlanner` ties the steps together, each in its own module:

- `clauses`: the request cut into clauses at "then", ";", ", and"..., one step each
- `routing`: which task (or kind of chat) a text asks for: embeddings and keyword cues
- `cues`: request text cleaned up, and the tasks whose keyword cues it carries
- `learned`: the trained router, P(task) from the embedding and the cues, calibrated
- `asking`: a question naming two readings as likely, and the answer that picks one
- `phrases`: the example phrasings of chat (each task's own, and its cue, are in its spec);
  `router_phrases.json` many more of each, written to train the router
- `bank`: those phrasings embedded, the router trained on them, both kept in a file
- `replays`: "again", "same but slower", "now the second one": the last steps rerun
- `steps`: a routed task's arguments filled in, or a reply asking for what is missing
- `media`: which file each media argument works on (named, replied to, by ordinal, newest)
- `extraction`: the argument values read from the request text
"""
