"""Example phrasings of chat: greetings, help, thanks, and requests to decline (embedded and
compared with the request, beside each task's own in its spec). Users' own wordings live
in the test set, tests/core_agent/planning/planner_cases.json; keep these different."""

from __future__ import annotations

from tasks.base import phrases

CHAT: dict[str, list[str]] = {
    "greeting": phrases(
        "hi; hello; hey there; good morning; yo; hey bot; howdy"),
    "help": phrases(
        "what can you do; help; how do I use you; what are your features; who are you; what is "
        "this bot; what tasks do you support"),
    "thanks": phrases(
        "thanks; thank you very much; cheers; great, thanks; awesome job; perfect thank you; ok "
        "cool"),
    "decline": phrases(
        "book a flight; reserve a hotel room; what's the weather forecast; tell me something "
        "funny; write an essay; write code for me; debug this program; what is the capital of "
        "france; solve this math problem; order food; latest news headlines; stock market prices;"
        " sports scores; recommend a book; set a reminder; send an email; plan my trip; recipe "
        "for pancakes; write a story; reserve a table for dinner; book a table at a restaurant; "
        "call me a taxi; buy tickets for the concert"),
}
