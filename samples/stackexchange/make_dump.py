"""Writes the demo's StackExchange-format dump (Posts.xml, Users.xml) from the questions below.

The questions and answers were written for codemill; the dump mimics the official format: one
`<row>` per post, HTML bodies escaped in attributes, tags as `<a><b>` (and `|a|b|` in newer dumps),
an accepted answer, a negative answer, a closed question, a deleted author and a tag-wiki post.
Run from the repository root: `.venv/bin/python samples/stackexchange/make_dump.py`.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

START = datetime(2024, 1, 8, 9, 0, 0)

QA = [
 dict(title="How do I reverse a string in Python?", tags=["python", "string"], score=14, user=1,
  body="I have a string like `\"hello\"` and want `\"olleh\"`. Strings have no `reverse()` method. What is the usual way?",
  answers=[
   dict(user=2, score=21, accepted=True, body="Use a slice with a step of -1. It walks the string from the end to the start:\n\n```\ntext = \"hello\"\nprint(text[::-1])  # olleh\n```\n\nSlicing always returns a new string, because strings are immutable."),
   dict(user=3, score=4, body="If you find the slice cryptic, `reversed` plus `join` says the same thing in words:\n\n```\n\"\".join(reversed(\"hello\"))\n```"),
  ]),
 dict(title="Why does my default list argument keep old values between calls?", tags=["python", "function", "default-arguments"], score=32, user=4,
  body="This function returns more and more items each time I call it:\n\n```\ndef add_item(item, bucket=[]):\n    bucket.append(item)\n    return bucket\n\nprint(add_item(1))\nprint(add_item(2))\n```\n\nThe second call prints `[1, 2]`, not `[2]`. Why?",
  answers=[
   dict(user=2, score=45, accepted=True, body="A default value is evaluated once, when the `def` statement runs, not on every call. All calls that omit `bucket` share that one list.\n\nUse `None` as a marker and create the list inside:\n\n```\ndef add_item(item, bucket=None):\n    if bucket is None:\n        bucket = []\n    bucket.append(item)\n    return bucket\n```"),
   dict(user=5, score=6, body="Tools such as pylint warn about this (`dangerous-default-value`), so running a linter catches it before it bites."),
  ]),
 dict(title="What is the difference between == and is?", tags=["python", "comparison"], score=19, user=6,
  body="Both `a == b` and `a is b` seem to work for comparing things. When should I use which?",
  answers=[
   dict(user=3, score=27, accepted=True, body="`==` compares values: it calls `__eq__`. `is` compares identity: it is true only when both names refer to the very same object.\n\n```\na = [1, 2]\nb = [1, 2]\nprint(a == b)  # True, same contents\nprint(a is b)  # False, two different lists\n```\n\nUse `is` for singletons such as `None`, and `==` for everything else."),
  ]),
 dict(title="How can I count how often each word appears in a text?", tags=["python", "dictionary", "counting"], score=11, user=7,
  body="I split a text into words and want a count for each word. My loop with `if word in counts` works but looks long. Is there something shorter?",
  answers=[
   dict(user=2, score=18, accepted=True, body="`collections.Counter` does exactly this:\n\n```\nfrom collections import Counter\n\nwords = \"the cat and the hat\".split()\ncounts = Counter(words)\nprint(counts.most_common(2))\n```\n\nThis prints `[('the', 2), ('cat', 1)]`."),
   dict(user=8, score=3, body="Without imports, `dict.get` with a default keeps the loop to one line:\n\n```\ncounts = {}\nfor word in words:\n    counts[word] = counts.get(word, 0) + 1\n```"),
  ]),
 dict(title="How do I read a file line by line without loading it all?", tags=["python", "file-io"], score=9, user=9,
  body="My log file is several gigabytes. `f.readlines()` runs out of memory. How do I process one line at a time?",
  answers=[
   dict(user=3, score=15, accepted=True, body="Iterate over the file object itself; it yields one line at a time and keeps only that line in memory:\n\n```\nwith open(\"app.log\", encoding=\"utf-8\") as handle:\n    for line in handle:\n        if \"ERROR\" in line:\n            print(line.rstrip())\n```\n\nThe `with` block closes the file even if an exception is raised."),
  ]),
 dict(title="Sorting a list of dictionaries by one key", tags=["python", "sorting", "list"], score=16, user=10,
  body="I have records like `{\"name\": \"Ada\", \"age\": 36}` in a list. How do I sort them by age?",
  answers=[
   dict(user=5, score=22, accepted=True, body="Pass a `key` function to `sorted`:\n\n```\npeople = [{\"name\": \"Ada\", \"age\": 36}, {\"name\": \"Alan\", \"age\": 41}]\nby_age = sorted(people, key=lambda person: person[\"age\"])\n```\n\nAdd `reverse=True` for oldest first. `operator.itemgetter(\"age\")` works as the key too and is a little faster."),
  ]),
 dict(title="What does if __name__ == \"__main__\" do?", tags=["python", "modules"], score=25, user=11,
  body="Many scripts end with `if __name__ == \"__main__\":`. What is it for?",
  answers=[
   dict(user=2, score=30, accepted=True, body="Every module has a `__name__`. When you run a file directly, Python sets it to `\"__main__\"`; when another module imports the file, it is the module's name instead.\n\nSo the block runs only when the file is executed as a script:\n\n```\ndef main():\n    print(\"running as a script\")\n\n\nif __name__ == \"__main__\":\n    main()\n```\n\nThis lets the same file be both an importable module and a command."),
  ]),
 dict(title="How to remove duplicates from a list but keep the order?", tags=["python", "list", "duplicates"], score=12, user=12,
  body="`list(set(items))` removes duplicates but scrambles the order. I need the first occurrence of each item, in order.",
  answers=[
   dict(user=3, score=19, accepted=True, body="Dictionaries keep insertion order, so `dict.fromkeys` does it in one line:\n\n```\nitems = [3, 1, 3, 2, 1]\nunique = list(dict.fromkeys(items))\nprint(unique)  # [3, 1, 2]\n```"),
   dict(user=13, score=5, body="A loop with a `seen` set is longer but works for any hashable items and is easy to adapt:\n\n```\ndef unique_in_order(items):\n    seen = set()\n    result = []\n    for item in items:\n        if item not in seen:\n            seen.add(item)\n            result.append(item)\n    return result\n```"),
  ]),
 dict(title="Catching more than one exception type", tags=["python", "exceptions"], score=8, user=14,
  body="Converting user input can raise `ValueError` or `TypeError`. Can one `except` clause handle both?",
  answers=[
   dict(user=5, score=13, accepted=True, body="Yes, give a tuple of exception types:\n\n```\ndef to_number(value):\n    try:\n        return float(value)\n    except (ValueError, TypeError):\n        return None\n```\n\nKeep the `try` block small so that you do not hide unrelated errors."),
  ]),
 dict(title="Why is 0.1 + 0.2 not equal to 0.3?", tags=["python", "floating-point"], score=22, user=15,
  body="`0.1 + 0.2 == 0.3` prints `False` in my Python shell. Is this a bug?",
  answers=[
   dict(user=2, score=34, accepted=True, body="Not a bug: floats are stored in binary, and 0.1 has no exact binary form, so tiny rounding errors appear.\n\nCompare with a tolerance instead:\n\n```\nimport math\nprint(math.isclose(0.1 + 0.2, 0.3))  # True\n```\n\nFor money, use `decimal.Decimal` with string inputs, which keeps decimal digits exactly."),
   dict(user=16, score=-2, body="Just round everything to two places with `round(x, 2)` and the problem goes away."),
  ]),
 dict(title="How do I iterate over a list with the index?", tags=["python", "loops"], score=10, user=17,
  body="In other languages I write `for (i = 0; i < n; i++)`. In Python I use `for i in range(len(items))`, which feels clumsy. Is there a better way?",
  answers=[
   dict(user=3, score=17, accepted=True, body="`enumerate` gives you the index and the item together:\n\n```\nfor position, name in enumerate([\"ada\", \"grace\"], start=1):\n    print(position, name)\n```\n\nThe `start` argument sets the first number."),
  ]),
 dict(title="Merging two dictionaries", tags=["python", "dictionary"], score=13, user=18,
  body="What is the cleanest way to combine two dictionaries into a new one, with the second winning on conflicts?",
  answers=[
   dict(user=5, score=20, accepted=True, body="Since Python 3.9 the `|` operator does it:\n\n```\ndefaults = {\"color\": \"blue\", \"size\": 10}\nchoices = {\"size\": 12}\nsettings = defaults | choices\nprint(settings)  # {'color': 'blue', 'size': 12}\n```\n\nOn older versions use `{**defaults, **choices}`."),
  ]),
 dict(title="List comprehension with an if and an else", tags=["python", "list-comprehension"], score=7, user=19,
  body="`[x for x in nums if x > 0 else 0]` is a syntax error. How do I replace negative numbers with zero in a comprehension?",
  answers=[
   dict(user=2, score=12, accepted=True, body="A filter `if` goes at the end, but a choice between two values is a conditional expression and goes at the front:\n\n```\nnums = [3, -1, 4, -5]\nclipped = [x if x > 0 else 0 for x in nums]\nprint(clipped)  # [3, 0, 4, 0]\n```\n\n`max(x, 0)` is another way to write the same thing."),
  ]),
 dict(title="How can I time a small piece of code?", tags=["python", "performance"], score=6, user=20,
  body="I want to know which of two one-line expressions is faster. Is `time.time()` before and after good enough?",
  answers=[
   dict(user=13, score=11, accepted=True, body="For tiny snippets use `timeit`, which repeats the statement many times and uses the best clock:\n\n```\nimport timeit\n\nprint(timeit.timeit(\"sum(range(100))\", number=10000))\n```\n\nIn IPython or Jupyter, `%timeit expression` does the same with a nicer summary."),
  ]),
 dict(title="What does the yield keyword do?", tags=["python", "generators"], score=28, user=21,
  body="I found a function that uses `yield` instead of `return`. Calling it does not run the body. What is going on?",
  answers=[
   dict(user=3, score=39, accepted=True, body="A function containing `yield` is a generator function. Calling it returns a generator object; the body runs step by step each time you ask for the next value, pausing at every `yield`.\n\n```\ndef countdown(n):\n    while n > 0:\n        yield n\n        n -= 1\n\n\nfor value in countdown(3):\n    print(value)\n```\n\nThis prints 3, 2 and 1. Generators produce values lazily, so they handle long or endless sequences in little memory."),
  ]),
 dict(title="Check whether a key exists in a dictionary", tags=["python", "dictionary"], score=5, user=22,
  body="Should I use `if key in d` or `d.has_key(key)`?",
  answers=[
   dict(user=5, score=9, accepted=True, body="Use `key in d`. `has_key` was removed in Python 3. When you need the value anyway, `d.get(key)` returns `None` for a missing key, which saves a second lookup."),
  ]),
 dict(title="How do I split a list into chunks of equal size?", tags=["python", "list"], score=15, user=23,
  body="Given a list of 10 numbers, I want lists of 3: `[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]`.",
  answers=[
   dict(user=2, score=21, accepted=True, body="Slice in steps of the chunk size:\n\n```\ndef chunks(items, size):\n    return [items[i:i + size] for i in range(0, len(items), size)]\n\n\nprint(chunks(list(range(10)), 3))\n```\n\nPython 3.12 also has `itertools.batched(items, 3)`, which yields tuples."),
  ]),
 dict(title="Flatten a list of lists", tags=["python", "list"], score=9, user=24,
  body="How do I turn `[[1, 2], [3], [4, 5]]` into `[1, 2, 3, 4, 5]`?",
  answers=[
   dict(user=13, score=14, accepted=True, body="A nested comprehension reads left to right like the equivalent loops:\n\n```\nnested = [[1, 2], [3], [4, 5]]\nflat = [x for inner in nested for x in inner]\n```\n\n`itertools.chain.from_iterable(nested)` is the lazy alternative."),
   dict(user=16, score=1, body="`sum(nested, [])` also works, but it copies the list on every step and gets slow for long inputs."),
  ]),
 dict(title="How do I get the current date and time as a string?", tags=["python", "datetime"], score=4, user=25,
  body="I want a timestamp like `2024-03-01 14:05` for a log message.",
  answers=[
   dict(user=3, score=8, accepted=True, body="Use `datetime.now()` and `strftime`:\n\n```\nfrom datetime import datetime\n\nstamp = datetime.now().strftime(\"%Y-%m-%d %H:%M\")\nprint(stamp)\n```\n\nFor machine-readable logs prefer `datetime.now(timezone.utc).isoformat()`."),
  ]),
 dict(title="Why do I get UnboundLocalError when I change a global counter?", tags=["python", "scope"], score=11, user=26,
  body="```\ncount = 0\n\ndef increment():\n    count += 1\n\nincrement()\n```\n\nraises `UnboundLocalError: cannot access local variable 'count'`. The variable clearly exists.",
  answers=[
   dict(user=2, score=16, accepted=True, body="Assigning to a name anywhere in a function makes that name local to the whole function, so `count += 1` reads a local that has no value yet.\n\nYou can declare `global count`, but it is usually better to pass the value in and return the new one:\n\n```\ndef increment(count):\n    return count + 1\n\ncount = increment(count)\n```"),
  ]),
 dict(title="How do I write a list of dictionaries to a CSV file?", tags=["python", "csv"], score=7, user=27,
  body="I have rows as dictionaries with the same keys and want a CSV file with a header line.",
  answers=[
   dict(user=5, score=10, accepted=True, body="`csv.DictWriter` takes the column names and writes each dictionary as a row:\n\n```\nimport csv\n\nrows = [{\"name\": \"Ada\", \"year\": 1815}, {\"name\": \"Alan\", \"year\": 1912}]\nwith open(\"people.csv\", \"w\", newline=\"\", encoding=\"utf-8\") as handle:\n    writer = csv.DictWriter(handle, fieldnames=[\"name\", \"year\"])\n    writer.writeheader()\n    writer.writerows(rows)\n```\n\nThe `newline=\"\"` argument prevents blank lines on Windows."),
  ]),
 dict(title="Finding the maximum value in a dictionary", tags=["python", "dictionary", "max"], score=8, user=28,
  body="I have `scores = {\"ada\": 91, \"alan\": 87, \"grace\": 95}`. How do I get the name with the highest score?",
  answers=[
   dict(user=13, score=12, accepted=True, body="`max` accepts a key function; iterate over the keys and rank them by their values:\n\n```\nbest = max(scores, key=scores.get)\nprint(best)  # grace\n```"),
  ]),
 dict(title="Is there a way to swap two variables without a temporary?", tags=["python", "variables"], score=6, user=29,
  body="In C I need `tmp = a; a = b; b = tmp;`. Does Python have a shorter form?",
  answers=[
   dict(user=3, score=11, accepted=True, body="Tuple assignment evaluates the right side first, then binds the names:\n\n```\na, b = 1, 2\na, b = b, a\nprint(a, b)  # 2 1\n```"),
  ]),
 dict(title="How do I check if a string is a palindrome, ignoring case and spaces?", tags=["python", "string", "algorithm"], score=5, user=30,
  body="\"Never odd or even\" should count as a palindrome. My comparison with the reversed string fails because of the spaces and capital N.",
  answers=[
   dict(user=2, score=9, accepted=True, body="Normalise first, keeping only letters and digits in lower case, then compare with the reverse:\n\n```\ndef is_palindrome(text):\n    letters = [c.lower() for c in text if c.isalnum()]\n    return letters == letters[::-1]\n\n\nprint(is_palindrome(\"Never odd or even\"))  # True\n```"),
  ]),
 dict(title="What is the best way to learn Python quickly?", tags=["python"], score=-3, user=31, closed=True,
  body="Which book or course is the best to learn Python in a week?",
  answers=[
   dict(user=16, score=0, body="Write small programs every day; any book works."),
  ]),
 dict(title="Getting unique values from two lists", tags=["python", "set"], score=3, user=32, owner_display_name="former_user",
  body="I have two lists of tags and want the tags that appear in either list, without duplicates.",
  answers=[
   dict(user=5, score=6, accepted=True, body="Convert to sets and take the union:\n\n```\nfirst = [\"python\", \"loops\"]\nsecond = [\"loops\", \"files\"]\nprint(sorted(set(first) | set(second)))\n```\n\nUse `&` for the tags in both lists and `-` for those only in the first."),
  ]),
 dict(title="How do I pause my program for a few seconds?", tags=["python", "time"], score=2, user=33,
  body="I want my script to wait two seconds between requests.",
  answers=[
   dict(user=13, score=5, accepted=True, body="`time.sleep` takes seconds, including fractions:\n\n```\nimport time\n\nfor attempt in range(3):\n    print(\"try\", attempt)\n    time.sleep(2)\n```"),
  ]),
]


def body_html(text):
    """Markdown-ish text (paragraphs, ``` fences, `code`) -> the HTML a StackExchange dump stores."""
    out = []
    parts = re.split(r"```\n(.*?)\n```", text, flags=re.S)
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<pre><code>{html.escape(part, quote=False)}\n</code></pre>")
            continue
        for paragraph in part.strip().split("\n\n"):
            if paragraph.strip():
                escaped = html.escape(paragraph.strip(), quote=False)
                out.append("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped) + "</p>")
    return "\n\n".join(out) + "\n"


def stamp(day, minute=0):
    return (START + timedelta(days=day, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def tag_text(tags, index):
    """Older dumps write tags as <a><b>, newer ones as |a|b|; the sample uses both."""
    return "|" + "|".join(tags) + "|" if index % 4 == 3 else "".join(f"<{t}>" for t in tags)


def build_posts():
    root = etree.Element("posts")
    next_id = 1
    for index, qa in enumerate(QA):
        qid = next_id
        answer_ids = list(range(qid + 1, qid + 1 + len(qa["answers"])))
        next_id = answer_ids[-1] + 1 if answer_ids else qid + 1
        accepted = [aid for aid, a in zip(answer_ids, qa["answers"]) if a.get("accepted")]
        q = {"Id": qid, "PostTypeId": 1}
        if accepted:
            q["AcceptedAnswerId"] = accepted[0]
        q |= {"CreationDate": stamp(index * 3), "Score": qa["score"], "ViewCount": 40 * (abs(qa["score"]) + 1),
              "Body": body_html(qa["body"])}
        if "owner_display_name" in qa:
            q["OwnerDisplayName"] = qa["owner_display_name"]
        else:
            q["OwnerUserId"] = qa["user"]
        q |= {"LastActivityDate": stamp(index * 3 + 1), "Title": qa["title"], "Tags": tag_text(qa["tags"], index),
              "AnswerCount": len(qa["answers"]), "CommentCount": 0}
        if qa.get("closed"):
            q["ClosedDate"] = stamp(index * 3, 90)
        q["ContentLicense"] = "CC BY-SA 4.0"
        etree.SubElement(root, "row", {k: str(v) for k, v in q.items()})
        for offset, (aid, answer) in enumerate(zip(answer_ids, qa["answers"])):
            a = {"Id": aid, "PostTypeId": 2, "ParentId": qid, "CreationDate": stamp(index * 3, 30 + 20 * offset),
                 "Score": answer["score"], "Body": body_html(answer["body"]), "OwnerUserId": answer["user"],
                 "LastActivityDate": stamp(index * 3, 30 + 20 * offset), "CommentCount": 0,
                 "ContentLicense": "CC BY-SA 4.0"}
            etree.SubElement(root, "row", {k: str(v) for k, v in a.items()})
    wiki = {"Id": next_id, "PostTypeId": 4, "CreationDate": stamp(1), "Score": 0,
            "Body": "<p>Python is a general-purpose programming language.</p>\n", "OwnerUserId": -1,
            "LastActivityDate": stamp(1), "CommentCount": 0, "ContentLicense": "CC BY-SA 4.0"}
    etree.SubElement(root, "row", {k: str(v) for k, v in wiki.items()})
    return root


NAMES = ["Community", "Mira Okafor", "Tomas Lind", "Priya Raman", "Jonah Weiss", "Lena Kovac", "Sam Duarte",
         "Ines Moreau", "Kwame Mensah", "Yuki Tanaka", "Omar Haddad", "Greta Holm", "Diego Ruiz", "Hana Novak",
         "Felix Braun", "Aiko Mori", "Ravi Patel", "Nora Lindqvist", "Ben Adeyemi", "Clara Sousa", "Ivan Petrov",
         "Maya Cohen", "Leo Martins", "Zara Ali", "Emil Strand", "Rosa Vidal", "Kai Fischer", "Lucia Romano",
         "Theo Laurent", "Amara Nwosu", "Oskar Berg", "Sofia Marin", "Deleted Later", "Jin Park"]


def build_users():
    root = etree.Element("users")
    for uid, name in enumerate(NAMES):
        if name == "Deleted Later":
            continue  # this account was deleted: its question keeps only OwnerDisplayName
        user_id = -1 if uid == 0 else uid
        row = {"Id": user_id, "Reputation": 1 if uid == 0 else 50 + 37 * uid, "CreationDate": stamp(-30 + uid),
               "DisplayName": name, "LastAccessDate": stamp(80), "Views": 3 * uid, "UpVotes": uid, "DownVotes": 0,
               "AccountId": -1 if uid == 0 else 1000 + uid}
        etree.SubElement(root, "row", {k: str(v) for k, v in row.items()})
    return root


def write(root, path):
    text = etree.tostring(root, encoding="unicode").replace("><row", ">\n  <row").replace("</" + root.tag, "\n</" + root.tag)
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n", encoding="utf-8")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent
    write(build_posts(), out / "Posts.xml")
    write(build_users(), out / "Users.xml")
    print(f"{len(QA)} questions written to {out}")
