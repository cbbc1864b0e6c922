"""What the offline planner knows of how people ask: example phrasings of every task and of
chat (embedded and compared with the request), and keyword cues per task (regular
expressions over the lower-cased request). Users' own wordings live in the test set,
tests/core_agent/planning/planner_cases.json; keep these different from it."""

from __future__ import annotations

from core_agent.planning.offline.extraction.words import LANG


def phrases(block: str) -> list[str]:
    """Example phrasings written as one block, separated by semicolons."""
    return [" ".join(p.split()) for p in block.split(";") if p.strip()]


EXEMPLARS: dict[str, list[str]] = {
    "speech_recognition": phrases(
        "transcribe this recording; what is being said in this audio; convert this voice note to "
        "text; write out the words spoken here; give me the transcript; type up what they are "
        "saying; I need the text of this speech; what does the speaker say; turn this voice memo "
        "into text; what are they talking about in this clip"),
    "speech_translation": phrases(
        "translate this audio into english; what does this foreign speech mean; translate what "
        "she says to spanish; give me an english translation of this voice note; translate the "
        "speech from german; I don't speak this language, translate it; what is he saying in "
        "english; convert this spoken portuguese into english text"),
    "text_to_speech": phrases(
        "read this text aloud; say hello to my friend; speak the following sentence; convert this"
        " text to speech; make a voice recording that says the shop is closed; pronounce this "
        "word; read my message out loud in a calm voice; generate speech saying good morning; "
        "announce that dinner is ready; voice over for this script"),
    "style_transfer": phrases(
        "say this sentence in the voice from the recording; clone this voice and read my text; "
        "make it sound like me saying hello; imitate the speaker in this clip; use my voice to "
        "say happy new year; speak this text with the same voice as the sample; mimic this "
        "person's voice; have this voice say something new"),
    "speech_enhancement": phrases(
        "remove background noise from this recording; clean up the audio; denoise my voice memo; "
        "make the speech clearer; get rid of the static and hiss; reduce the hum in this clip; "
        "improve the sound quality of this voice; the recording is noisy, fix it; filter out the "
        "wind noise; remove echo and noise"),
    "speech_separation": phrases(
        "separate the voices in this recording; split the conversation into one file per speaker;"
        " isolate each person talking; two people are talking at once, separate them; give me "
        "separate tracks for each speaker; untangle the overlapping speech; break this dialogue "
        "into individual voices; keep only the voice of the person in the reference clip; pull "
        "this speaker out of the group recording using the sample; remove the other talkers "
        "and leave just the voice from the example clip"),
    "mono_to_binaural": phrases(
        "convert this to binaural audio; make it sound 3d on headphones; spatial audio version; "
        "turn mono into immersive stereo for headphones; make the sound move around my head; 8d "
        "audio effect; place the sound to my right; give it a surround feel"),
    "audio_inpainting": phrases(
        "fill in the missing part of the audio; repair the gap in this recording; fix the dropout"
        " between 3 and 4 seconds; restore the damaged section; patch the silence in the middle; "
        "reconstruct the lost audio; the sound cuts out for a moment, fill it; fix the glitch at "
        "5 seconds"),
    "sound_extraction": phrases(
        "extract the bird sounds from this recording; isolate the vocals; pull the guitar out of "
        "the mix; keep only the drums; remove everything but the speech; get just the engine "
        "noise; give me only the piano; extract the sound of the rain"),
    "target_sound_detection": phrases(
        "when does the doorbell ring in this; find the moments where a dog barks; at what time "
        "does the car horn sound; timestamps of the gunshot; locate every cough in the recording;"
        " when can you hear the baby cry; tell me when the alarm goes off; where in the clip does"
        " the glass break"),
    "sound_detection": phrases(
        "what sounds can you detect in this; list the sound events in this recording; identify "
        "all the sounds and their times; tag the audio events; which noises occur in this clip; "
        "what kinds of sounds are in here; classify the sounds in this audio"),
    "talking_head": phrases(
        "make a talking head video; animate this face to speak the audio; lip sync the portrait "
        "to my voice; create a video of this person talking; make the picture speak this "
        "recording; turn this audio into a video of a speaking face; talking avatar; make this "
        "photo talk"),
    "text_to_audio": phrases(
        "generate the sound of rain; make a sound effect of an explosion; create ambience of a "
        "forest at night; I need footsteps on gravel; produce a dog barking sound; sound of a "
        "busy street; make thunder noise; whoosh sound effect for my video; the noise of a train "
        "passing; birds singing in a forest at dawn; a howling blizzard; make a crackling "
        "campfire"),
    "audio_to_text": phrases(
        "describe what you hear in this audio; caption this recording; what is this sound; what "
        "is happening in this audio clip; write a description of the sound; tell me what this "
        "noise is; summarize what this recording sounds like; what can you hear in this file"),
    "image_to_audio": phrases(
        "generate a sound for this picture; what would this image sound like; make audio that "
        "fits this photo; create a soundscape from this image; turn the picture into sound; give "
        "this photo matching ambient sound"),
    "singing_synthesis": phrases(
        "sing these words; sing happy birthday to me; sing a song with these lyrics; sing this "
        "melody with notes; can you sing for me; make a singing voice sing my lyrics; sing the "
        "phrase good morning sunshine"),
    "text_to_music": phrases(
        "compose a piece of music; generate a relaxing piano track; make an upbeat pop beat; "
        "create background music for a video; I want a lofi hip hop loop; write a short jazz "
        "tune; generate a techno track; music for meditation"),
    "audio_edit": phrases(
        "trim the audio; cut the first two seconds; make it louder; turn the volume down; speed "
        "it up; slow this down; change the pitch; reverse the audio; add a fade out at the end; "
        "convert this file to mp3; export as wav; shorten this clip; make the voice deeper; "
        "normalise the loudness; add reverb to my voice; lay this music under the speech; "
        "join the two recordings into one; add an echo effect"),
}
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
CUES: dict[str, str] = {
    "speech_recognition": r"transcri|speech.(in)?to.text|subtitle|write (it |this )?down|dictat|"
    r"what(?:'s| is| was)? (?:being )?said|\btext (version|of)|type (it |this )?(up|out)|"
    r"(give me|get|send|want|need) (me )?(the|a) (text|words)\b|\b(in|as|into) (text|writing)\b|"
    r"what(?:'s| (does|did|do|is|was|are|were)) (it|this|that|he|she|they|you|the \w+) "
    r"(say|saying)",
    "speech_translation": r"translat|interpret|what (does|did) (it|this|that) mean|"
    rf"(say|saying|said|says|mean|means)\b.{{0,20}}\b(in|into) {LANG}",
    "text_to_speech": r"\b(say|saying|speak|pronounce|announce)\b|read (this|it|that|out|aloud|"
    r"back|me|the)|\bread\s*[\"'“]|out loud|aloud|\btts\b|text.to.speech",
    "style_transfer": r"\b(my|this|that|his|her|same|their) voice\b.*\b(say|read|speak)|"
    r"\b(say|read|speak)\b.*\b(my|this|that|his|her|same|their) voice|clone|imitat|mimic|"
    r"\bvoice (in|from|of) (this|that|the|my)|"
    r"\b(this|that|the same) (person|guy|girl|man|woman|speaker)\b.*\b(say|read|speak)|"
    r"sound like (me|him|her|them|the (guy|girl|man|woman|person|speaker))",
    "speech_enhancement": r"denois|noisy|(remove|reduce|cut|less|rid of|filter|kill|fix|clean|"
    r"too much|lots? of)\b[\w\s]{0,25}\b(noise|hum|hiss|static|echo)|\bclean|\bhum\b|hiss|"
    r"static|crackl|muffled|clearer|enhanc|windy|(wind|fan|traffic|background) noise",
    "speech_separation": r"separat\w* (the |all |these )?(\w+ )?(speakers?|voices|people|"
    r"persons|talkers)|split\b.*\b(speakers?|voices|people|person|them|host|guest)|"
    r"pull apart|untangle|(each|every|per) (speaker|person|voice)|own track|"
    r"(separate|individual) (tracks|files|voices)|overlapping|over each other|diariz|"
    r"(voice|speaker|person) (from|in|of|on) a\d|\breferenc|target (speaker|voice)|"
    r"(keep|only|just) (only |just )?(the |my |his |her |their |this |that )?"
    r"(person'?s? |speaker'?s? |guy'?s? |woman'?s? |man'?s? )?voice\b|\bvoice out of|"
    r"(speaker|person|voice|one) (who|that) sounds? like|(everyone|everybody) else|"
    r"other (people|voices|speakers|talkers)",
    "mono_to_binaural": r"binaural|\b[38]d\b|spatial|surround|immersive|headphones?|"
    r"(from|on|to) (my|the) (left|right)|around (my|your) head|behind (me|you)|in front of",
    "audio_inpainting": r"inpaint|\bgap|drop.?out|missing|repair|patch|glitch|damaged|restore|"
    r"reconstruct|fill (it |the |this )?in|cuts? out|\bskip|smooth (it |this )?over|silence",
    "sound_extraction": r"extract|isolat|pull (out|\w+ out)|\bonly (the|want)|just (the|give)|"
    r"keep (only|just)|everything (but|except)|separate out|split out|\bout of (this|the)",
    "target_sound_detection": r"\bwhen (does|do|did|is|are|was|were)|at (what|which) (time|point)"
    r"|timestamps? (for|of)|every time|each time|whenever|how many (seconds|times)|"
    r"find (where|when|the (exact )?(moment|time))|where (in|does|do)|\bwhen\?",
    "sound_detection": r"what (sounds|noises)|which (sounds|noises|sound events)|sound events?|"
    r"(detect|identify|tag|list|classify|label) (the |all )?(\w+ )*(sounds|noises|events)|"
    r"(list|all) of (the |all )?(the )?(sounds|noises)",
    "talking_head": r"talking.?(head|avatar)|lip.?sync|\banimate|avatar|"
    r"(face|photo|picture|portrait|selfie|pic|image)\b.*\b(talk|speak|say)",
    "text_to_audio": r"sound (effect|of)|\bsfx|ambien|noise of|soundscape|sounds? like|"
    r"\d\s*(s|sec|seconds?) (clip |sound |loop )?of\b|"
    r"(make|create|generate|produce|give me)\b(?! (it|this|that|them|my)\b).{0,40}"
    r"\b(sound|noise|sfx|ambience)s?\b",
    "audio_to_text": r"describ|caption|what('s| is) (this|that) (sound|noise)|"
    r"what am i hearing|what (is|'s) (going on|happening) in|what (do|can) (i|you) hear|"
    r"what (sound|noise) is|tell what this|explain what",
    "image_to_audio": r"\b(photo|picture|pic|image|painting|drawing|scene)\b",
    "singing_synthesis": r"\bsing\b|\bsung\b|lyrics|\b[a-g][#b]?\d\s+[a-g][#b]?\d\b",
    "text_to_music": r"music|\bsong|\btune\b|\bbeats?\b|\btrack\b|melody|compose|jingle|"
    r"instrumental|lo-?fi|piano|guitar|jazz|techno|orchestra|\bedm\b|hip.?hop|groove|riff|"
    r"\bloop\b|synth|\brock\b|\bpop\b|\brap\b|drums?\b|\bbass\b|violin|cello|ukulele|sax|"
    r"lullaby|anthem|ballad|symphony|soundtrack",
    "audio_edit": r"\btrim|\bcut\b|\bcrop|shorten|louder|quieter|volume|speed|slow (it |this )?"
    r"down|faster|slower|\bpitch|revers|backwards|\bfade|convert|\b(mp3|wav|ogg|flac|m4a)\b|"
    r"\bdb\b|boost|deeper|twice as fast|half speed|turn (it |this )?(up|down)|"
    r"normali[sz]|\blufs\b|r ?128|reverb|\b(add|more|with|put)\b.{0,15}\becho|\bmix\b|"
    r"\b(under|underneath|beneath) (my|the|this) (voice|speech|talking|recording)|"
    r"\b(join|concat\w*|append|stitch)\b|back to back|one after (the )?other",
}
