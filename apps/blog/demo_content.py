"""Demo content for `manage.py seed_demo`: authors, categories, tags and posts.

Data only; the command does the writing. Slugs and emails are the natural keys the
command matches on, so editing a title here does not duplicate a post. Dates are
stored as days before the seeding run, so the demo always looks recently active.
Post bodies are Markdown; published posts end with a short reading list drawn
from their tags (`PostSpec.body`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuthorSpec:
    email: str
    username: str
    display_name: str
    bio: str


@dataclass(frozen=True, slots=True)
class CategorySpec:
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str
    note: str


@dataclass(frozen=True, slots=True)
class PostSpec:
    slug: str
    title: str
    author: str  # AuthorSpec.username
    category: str  # CategorySpec.name
    tags: tuple[str, ...]  # names from TAGS
    days_ago: int | None  # None: a draft, never published
    excerpt: str
    markdown: str  # indented in this file; dedented by `body`
    featured: bool = False

    @property
    def is_draft(self) -> bool:
        return self.days_ago is None

    @property
    def body(self) -> str:
        """The post's Markdown; published posts get a reading list from their tags."""
        text = textwrap.dedent(self.markdown).strip()
        if self.is_draft:
            return text + "\n"
        return f"{text}\n\n{further_reading(self.tags, variant=len(self.title))}\n"


AUTHORS: tuple[AuthorSpec, ...] = (
    AuthorSpec(
        email="mara.lindqvist@example.com",
        username="mara",
        display_name="Mara Lindqvist",
        bio=(
            "Mara leads the platform team at a small newsroom and writes about boring, "
            "durable software. She keeps a paper notebook for every project."
        ),
    ),
    AuthorSpec(
        email="tomas.reyes@example.com",
        username="tomas",
        display_name="Tomás Reyes",
        bio=(
            "Tomás maintains a handful of open source Python libraries and cares a great "
            "deal about short feedback loops, sharp tools and quiet terminals."
        ),
    ),
    AuthorSpec(
        email="priya.raman@example.com",
        username="priya",
        display_name="Priya Raman",
        bio=(
            "Priya is a product designer who started out setting type for print. "
            "She writes about reading comfort, accessibility and interfaces that "
            "explain themselves."
        ),
    ),
    AuthorSpec(
        email="jonah.whitfield@example.com",
        username="jonah",
        display_name="Jonah Whitfield",
        bio=(
            "Jonah has edited technical writing for fifteen years. "
            "He believes most drafts are two cuts away from being good."
        ),
    ),
    AuthorSpec(
        email="aiko.tanaka@example.com",
        username="aiko",
        display_name="Aiko Tanaka",
        bio=(
            "Aiko runs research and operations for the site and keeps the field notes: "
            "honest write-ups of projects while they are still in progress."
        ),
    ),
)

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        name="Engineering",
        description="Building and running software that outlasts the sprint that shipped it.",
    ),
    CategorySpec(
        name="Design",
        description="Interfaces, type and the choices readers only notice when they go wrong.",
    ),
    CategorySpec(
        name="Craft",
        description="The habits of writing well: drafting, cutting, editing and finishing.",
    ),
    CategorySpec(
        name="Field Notes",
        description="Dispatches from projects in progress, mistakes and numbers included.",
    ),
    CategorySpec(
        name="Culture",
        description="How teams talk, decide, disagree and hand work on to each other.",
    ),
    CategorySpec(
        name="Tools",
        description="Editors, terminals and the small utilities that earn a place in the workflow.",
    ),
)

# Each tag's links feed the "Further reading" section of posts carrying it.
READING: dict[str, tuple[Link, ...]] = {
    "Python": (
        Link("PEP 8", "https://peps.python.org/pep-0008/", "the style guide most tools assume."),
        Link(
            "The Python Tutorial",
            "https://docs.python.org/3/tutorial/",
            "better than its name suggests.",
        ),
    ),
    "Django": (
        Link(
            "Database access optimization",
            "https://docs.djangoproject.com/en/5.2/topics/db/optimization/",
            "Django's own checklist, and still the best one.",
        ),
        Link(
            "The Django documentation",
            "https://docs.djangoproject.com/en/5.2/",
            "unusually readable reference.",
        ),
    ),
    "PostgreSQL": (
        Link(
            "Using EXPLAIN",
            "https://www.postgresql.org/docs/current/using-explain.html",
            "the manual's own tour of query plans.",
        ),
        Link(
            "Use The Index, Luke",
            "https://use-the-index-luke.com/",
            "indexing explained for developers.",
        ),
    ),
    "Testing": (
        Link(
            "pytest documentation",
            "https://docs.pytest.org/",
            "fixtures and parametrisation in depth.",
        ),
        Link(
            "pytest-django",
            "https://pytest-django.readthedocs.io/",
            "database access, query counting and more.",
        ),
    ),
    "Performance": (
        Link(
            "Web Vitals",
            "https://web.dev/articles/vitals",
            "what the browser's performance numbers mean.",
        ),
        Link(
            "Use The Index, Luke",
            "https://use-the-index-luke.com/",
            "most slow pages are slow queries.",
        ),
    ),
    "Accessibility": (
        Link(
            "WCAG 2.2 at a glance",
            "https://www.w3.org/WAI/standards-guidelines/wcag/glance/",
            "the guidelines on one page.",
        ),
        Link(
            "MDN: Accessibility",
            "https://developer.mozilla.org/en-US/docs/Web/Accessibility",
            "practical, example-led guides.",
        ),
    ),
    "Typography": (
        Link(
            "Practical Typography",
            "https://practicaltypography.com/",
            "Matthew Butterick's free online book.",
        ),
    ),
    "Writing": (
        Link(
            "Write Simply",
            "https://paulgraham.com/simply.html",
            "Paul Graham's short case for plain words.",
        ),
        Link(
            "Writing for GOV.UK",
            "https://www.gov.uk/guidance/content-design/writing-for-gov-uk",
            "plain language, tested at scale.",
        ),
    ),
    "Editing": (
        Link(
            "Google developer documentation style guide",
            "https://developers.google.com/style",
            "a sensible answer to most style questions.",
        ),
    ),
    "Productivity": (
        Link(
            "The Missing Semester",
            "https://missing.csail.mit.edu/",
            "the tools course most of us never took.",
        ),
    ),
    "Open Source": (
        Link(
            "Open Source Guides",
            "https://opensource.guide/",
            "for maintainers and contributors alike.",
        ),
    ),
    "Remote Work": (
        Link(
            "GitLab's all-remote guide",
            "https://handbook.gitlab.com/handbook/company/culture/all-remote/",
            "a large company's remote habits, written down.",
        ),
    ),
    "Teams": (
        Link(
            "Postmortem culture",
            "https://sre.google/sre-book/postmortem-culture/",
            "a chapter from Google's SRE book.",
        ),
        Link(
            "Conventional Comments",
            "https://conventionalcomments.org/",
            "labels that make review comments clearer.",
        ),
    ),
    "Terminal": (
        Link(
            "The Art of Command Line",
            "https://github.com/jlevy/the-art-of-command-line",
            "a dense, much-loved cheat sheet.",
        ),
        Link("ripgrep", "https://github.com/BurntSushi/ripgrep", "fast, gitignore-aware search."),
    ),
    "Git": (
        Link(
            "Pro Git",
            "https://git-scm.com/book/en/v2",
            "the free book; the internals chapter rewards a second read.",
        ),
        Link(
            "How to Write a Git Commit Message",
            "https://cbea.ms/git-commit/",
            "seven rules, well argued.",
        ),
    ),
    "Markdown": (
        Link(
            "The CommonMark spec", "https://spec.commonmark.org/", "what Markdown means, precisely."
        ),
    ),
    "Security": (
        Link(
            "OWASP Cheat Sheet Series",
            "https://cheatsheetseries.owasp.org/",
            "short, specific advice per topic.",
        ),
        Link(
            "Security in Django",
            "https://docs.djangoproject.com/en/5.2/topics/security/",
            "what the framework does for you.",
        ),
    ),
    "Documentation": (
        Link(
            "Diátaxis", "https://diataxis.fr/", "four kinds of documentation, and why they differ."
        ),
        Link(
            "Write the Docs guide",
            "https://www.writethedocs.org/guide/",
            "a community's collected practice.",
        ),
    ),
    "Deployment": (
        Link(
            "The Twelve-Factor App",
            "https://12factor.net/",
            "still the clearest list of deployment habits.",
        ),
        Link(
            "Django's deployment checklist",
            "https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/",
            "run `check --deploy` and read why.",
        ),
    ),
    "Career": (Link("StaffEng", "https://staffeng.com/", "stories about senior technical roles."),),
}

TAGS: tuple[str, ...] = tuple(READING)

_READING_INTROS = (
    "A few references I keep coming back to:",
    "If you want to go further, start here:",
    "Not required reading, but each one is worth the time:",
)


def further_reading(tags: tuple[str, ...], *, variant: int = 0, limit: int = 3) -> str:
    """A Markdown "Further reading" section with up to `limit` links for these tags."""
    chosen: list[Link] = []
    for tag in tags:
        link = next((link for link in READING[tag] if link not in chosen), None)
        if link is not None and len(chosen) < limit:
            chosen.append(link)
    items = "\n".join(f"- [{link.title}]({link.url}): {link.note}" for link in chosen)
    return f"## Further reading\n\n{_READING_INTROS[variant % len(_READING_INTROS)]}\n\n{items}"


POSTS: tuple[PostSpec, ...] = (
    PostSpec(
        slug="designing-the-empty-state",
        title="Designing the Empty State",
        author="priya",
        category="Design",
        tags=("Accessibility", "Writing"),
        days_ago=2,
        excerpt=(
            "The first screen a new user sees is usually empty. It is also the screen that "
            "decides whether they come back."
        ),
        markdown="""
            We spend weeks designing a dashboard full of data, and then a new user signs up and sees
            none of it. The empty state is the first impression for almost everyone, and it is often
            an afterthought: a grey illustration and the words "Nothing here yet".

            ## Empty is a moment, not a bug

            An empty list can mean very different things, and each deserves different words. There
            is the first-run empty ("you have not written anything"), the filtered empty ("no posts
            match these tags"), and the cleared empty ("you have read everything"). Using one
            message for all three makes the product feel like it is not paying attention.

            A good empty state does three jobs:

            - It says plainly what would normally be here.
            - It offers the single most useful next action, as a real button, not a paragraph of
              instructions.
            - It keeps the surrounding layout, so the user learns where things will appear.

            ## Write it like a person

            The copy matters more than the artwork. "No drafts yet. Start one and it will be saved
            here as you type" tells the writer what to do and reassures them about what happens
            next. "No data" tells them that something may be broken.

            For filtered views, show the filters that caused the emptiness and a one-click way to
            clear them. Half of all "the search is broken" reports we received were really "I forgot
            I had a filter on".

            Empty states also need to work for screen readers. When a live region updates a list to
            empty, announce the message rather than silently removing items. Silence is the one
            empty state nobody can interpret.
            """,
    ),
    PostSpec(
        slug="cutting-the-first-paragraph",
        title="Cutting the First Paragraph",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing"),
        days_ago=7,
        excerpt=(
            "In most drafts, the first paragraph is the writer warming up. Deleting it is the "
            "fastest way to make a piece start where it actually begins."
        ),
        markdown="""
            I have a test I run on nearly every draft I edit, including my own. Cover the first
            paragraph and start reading from the second. More often than not, the piece gets better.
            The first paragraph was the writer clearing their throat: restating the title, promising
            what is coming, or explaining why they decided to write at all.

            ## Why it happens

            Starting is hard, and the first paragraph is where we work out what we want to say. That
            work is useful, but the reader does not need to watch it. By the time a draft is
            finished, the real opening is usually a few sentences in, at the first point where
            something concrete happens.

            > Most of the time, your story begins where you thought the introduction ended.

            ## What a good opening does

            A strong first paragraph gives the reader a reason to read the second. It can do that in
            several ways, and none of them involve announcing the topic:

            - Start with a specific moment: a bug report, a conversation, a number that surprised
              you.
            - State the claim you are going to defend, plainly, in one sentence.
            - Ask the question the piece answers, if it is a question the reader already has.

            What it should not do is summarise the piece in advance. A table of contents belongs in
            a manual. In an essay, it drains the tension you need to carry a reader to the end.

            ## Try it now

            Open the last thing you wrote and read it from the second paragraph. If nothing is lost,
            delete the first. If a sentence or two is missing, move them later, where they explain
            something rather than introduce it. It feels brutal the first time. By the tenth, it
            feels like tidying.
            """,
    ),
    PostSpec(
        slug="git-worktrees-for-the-impatient",
        title="Git Worktrees for the Impatient",
        author="tomas",
        category="Tools",
        tags=("Git", "Terminal", "Productivity"),
        days_ago=16,
        excerpt=(
            "Stashing half-finished work to review a colleague's branch is a small, daily "
            "friction. Worktrees let you keep several branches checked out at once."
        ),
        markdown="""
            For years my routine for an urgent fix went like this: stash my changes, switch
            branches, wait for the dependencies to settle, fix the bug, switch back, pop the stash,
            and discover a conflict I did not expect. Git worktrees removed almost all of that, and
            they have been part of Git since 2015.

            ## What a worktree is

            A worktree is an extra working directory attached to the same repository. Each one has
            its own checked-out branch and its own files, but they share the object database, so
            creating one is fast and uses little disk space.

            ```sh
            # Check out a new branch for a hotfix in a sibling directory.
            git worktree add ../inkwell-hotfix -b hotfix/login main

            # See every worktree and which branch it holds.
            git worktree list

            # Clean up when the fix is merged.
            git worktree remove ../inkwell-hotfix
            ```

            My main checkout stays exactly as I left it, half-finished changes and all. The fix
            happens next door.

            ## Where they shine

            - **Reviewing.** Check out a colleague's branch in its own worktree, run it, and close
              it, without touching your own work.
            - **Long builds.** Let the test suite run in one worktree while you keep coding in
              another.
            - **Comparisons.** Keep the last release checked out beside `main` to compare behaviour
              side by side.

            ## A few caveats

            A branch can only be checked out in one worktree at a time, which is a safety feature
            rather than a limitation. Each worktree needs its own virtual environment or
            `node_modules`, so large projects may want a script that sets them up. And it is easy to
            forget about old worktrees; `git worktree prune` cleans up entries whose directories
            have been deleted.

            Once the habit forms, `git stash` becomes something you use on purpose rather than in a
            panic.
            """,
    ),
    PostSpec(
        slug="notes-from-migrating-a-newsletter-archive",
        title="Notes From Migrating a Newsletter Archive",
        author="aiko",
        category="Field Notes",
        tags=("Markdown", "Python", "Documentation"),
        days_ago=20,
        excerpt=(
            "Eleven years of newsletters, four formats, and one weekend. What we kept, what we "
            "fixed by hand, and what we decided not to import at all."
        ),
        markdown="""
            The newsletter had been running since before the publication had a website. Its archive
            lived in four places: an old hosted email service, a folder of HTML exports, a wiki page
            of links, and one editor's memory. This is what happened when we moved all of it into
            the site as posts.

            ## Inventory first

            Before writing any code, we counted. There were 512 issues in total. About 380 existed
            as clean HTML exports, 90 only in the hosted service, and the rest as links to pages
            that no longer existed. Knowing those numbers up front kept us honest about what
            "complete" would mean.

            ## The converter was the easy part

            Turning HTML into Markdown took a short Python script and a library. The hard part was
            everything the HTML did not capture: images hosted on a service that had shut down,
            links to tracking redirects, and formatting that had been done with tables for layout.

            ```python
            for issue in issues:
                body = html_to_markdown(issue.html)
                body = unwrap_tracking_links(body)
                missing = find_dead_images(body)
                report.append((issue.slug, len(missing)))
            ```

            The report mattered more than the conversion. It told us which issues needed a human and
            which could go straight in.

            ## Decisions we made

            - Issues with dead images kept a short note in place of each image rather than a broken
              icon.
            - Tracking redirects were unwrapped to their real destinations, and dead destinations
              pointed to an archived copy where one existed.
            - Twenty-three issues that were purely event announcements were left out, with the
              editor's blessing.

            ## What I would repeat

            Do the inventory, write the report before the converter, and agree in advance what you
            will not import. A migration without a list of exclusions never finishes. Ours took one
            weekend and two evenings of hand fixes, which is about a third of what I had feared.
            """,
    ),
    PostSpec(
        slug="the-boring-migration-checklist",
        title="The Boring Migration Checklist",
        author="mara",
        category="Engineering",
        tags=("Django", "PostgreSQL", "Deployment"),
        days_ago=31,
        featured=True,
        excerpt=(
            "Most schema changes are dull, and the ones that hurt are the ones we treated as dull"
            " without checking. This is the list I run through before any migration touches a "
            "busy table."
        ),
        markdown="""
            Every team I have worked with has a story about the migration that locked a table for
            eleven minutes on a Tuesday afternoon. Nobody wrote that migration carelessly. It looked
            routine, it passed on a laptop with four hundred rows, and it met a production table
            with forty million. The fix is not heroics. It is a checklist dull enough that you
            actually use it.

            ## Before you write it

            Start by asking what the database will *do*, not what Django will generate. Adding a
            nullable column is cheap on PostgreSQL. Adding a column with a volatile default,
            changing a type, or building an index without `CONCURRENTLY` can take a lock that blocks
            writes for as long as the operation runs.

            - Does this operation rewrite the table or just its catalogue entry?
            - Does it take an `ACCESS EXCLUSIVE` lock, and for how long?
            - Can the old code run against the new schema, and the new code against the old?
            - Is there a backfill, and can it run in batches outside the migration?

            ## Split the change

            The last question is the one that saves the most grief. A rename is really three
            deploys: add the new column, write to both and backfill, then drop the old one once
            nothing reads it. It feels slow. It is much faster than a rollback under pressure.

            ```sql
            -- Build the index without blocking writes; this cannot run inside a transaction.
            CREATE INDEX CONCURRENTLY blog_post_author_idx ON blog_post (author_id);
            ```

            In Django, that means a migration with `atomic = False` and `AddIndexConcurrently` from
            `django.contrib.postgres.operations`. Run `sqlmigrate` and read the SQL before you
            merge. It takes thirty seconds, and it is the step I skip least often now.

            ## After it ships

            Watch lock waits and replication lag for the first few minutes, and keep the revert
            written down, not just planned. A boring migration is one where nothing in the incident
            channel mentions it.
            """,
    ),
    PostSpec(
        slug="the-meeting-that-should-have-been-a-document",
        title="The Meeting That Should Have Been a Document",
        author="mara",
        category="Culture",
        tags=("Teams", "Remote Work", "Writing"),
        days_ago=37,
        excerpt=(
            "Many meetings exist to share information that would be clearer written down. Writing"
            " first leaves meetings for the one thing they do best: deciding together."
        ),
        markdown="""
            Our team once tracked every recurring meeting for a month and sorted each into one of
            three boxes: sharing information, discussing options, and making a decision. Over half
            of the time landed in the first box. Most of it was someone reading out updates that
            everyone could have read in two minutes.

            ## Write first, then meet

            We adopted a simple rule. Any meeting about a proposal needs a written document, shared
            at least a day before. The document states the problem, the options considered, and a
            recommendation. The meeting, if it still needs to happen, starts from the assumption
            that everyone has read it.

            This does two things. It moves the slow part, understanding, to a time that suits each
            reader. And it forces the author to think clearly, because vague ideas that survive a
            conversation rarely survive being written down.

            ## What a good pre-read looks like

            - One page if possible, two at most, with the recommendation near the top.
            - The options that were rejected, and why, so nobody spends the meeting reinventing
              them.
            - Open questions listed explicitly, so the meeting has an agenda.
            - A named decision-maker and a date.

            ## What meetings are still for

            Some things are genuinely better in real time. Resolving disagreements, building trust
            in a new team, and untangling a problem with many unknowns all benefit from
            conversation. We have not banned meetings. We have made them shorter, and most of ours
            now end early, with a decision recorded in the same document that started them.

            The surprise was how much better the documents made our decisions in the long run. Six
            months later, when someone asks why we chose a particular approach, the answer is a link
            rather than a memory.
            """,
    ),
    PostSpec(
        slug="makefiles-as-project-documentation",
        title="Makefiles as Project Documentation",
        author="tomas",
        category="Tools",
        tags=("Terminal", "Documentation", "Productivity"),
        days_ago=45,
        excerpt=(
            "A short Makefile with well-named targets tells a new contributor how to set up, run,"
            " and test a project, and it cannot drift out of date without someone noticing."
        ),
        markdown="""
            Every project has a handful of commands that people run constantly: install the
            dependencies, start the server, run the tests, run the linters. In many projects, those
            commands live in a README, in someone's shell history, or in the memory of whoever set
            the project up. I prefer to keep them in a Makefile.

            ## Why Make

            Make is old, installed almost everywhere, and a little quirky. None of that matters much
            here. We are not using it to build anything clever. We are using it as an executable
            table of contents: a list of named commands that anyone can discover and run, and that
            must keep working because people use them every day.

            The first target I add to any Makefile prints a summary of the others:

            ```console
            $ make help
            setup     Create the virtualenv and install dependencies
            run       Start the development server on port 8000
            test      Run the test suite (add ARGS=-k name to filter)
            lint      Run ruff, mypy and the template linter
            seed      Load demo content into the local database
            ```

            A newcomer who runs `make help` learns the shape of the project in ten seconds.

            ## Rules I follow

            1. Target names are verbs a human would use: `setup`, `run`, `test`, not
               `install-deps-dev`.
            2. Each target is a thin wrapper around a real command, so nothing is hidden.
            3. Continuous integration calls the same targets, so they cannot rot quietly.
            4. Anything longer than a few lines moves into a script, and the target calls the
               script.

            ## Documentation that runs

            A README can say "run the tests with pytest", and be wrong for months after the test
            command changes. A Makefile target cannot be wrong for long, because someone runs it
            every day. That, more than anything about Make itself, is why it works.
            """,
    ),
    PostSpec(
        slug="code-review-is-a-conversation",
        title="Code Review Is a Conversation",
        author="tomas",
        category="Culture",
        tags=("Teams", "Open Source", "Git"),
        days_ago=48,
        excerpt=(
            "Review comments are read without tone of voice, usually by someone who has just "
            "finished the work. Small changes in how we write them make reviews faster and "
            "kinder."
        ),
        markdown="""
            Code review is one of the few places where engineers give each other written feedback
            every day. It is also where a lot of quiet friction builds up. A comment that would
            sound friendly across a desk can read as curt or dismissive in a review tool, especially
            to someone who has spent three days on the change.

            ## Label what kind of comment it is

            The single most useful habit we adopted was prefixing review comments with their intent.
            It costs a word and removes most of the guessing.

            - **blocking:** this needs to change before merging, with a reason.
            - **suggestion:** an improvement the author may take or leave.
            - **question:** I do not understand something, which may mean the code or the
              description needs a line.
            - **nit:** a small style point, never a reason to hold a merge.
            - **praise:** something done well, worth pointing out.

            Authors stopped treating every comment as a demand. Reviewers started noticing when they
            had left twelve nits and no praise.

            ## Review the change you were given

            It is tempting to use a review to ask for a related improvement that happens to be
            nearby. Those requests turn a small change into a large one and delay it. If it matters,
            open an issue, and let the change in front of you be judged on its own purpose.

            ## Small changes, fast reviews

            Reviews go well when changes are small and described clearly. A four-hundred-line change
            with a one-line description will get a shallow review, however careful the reviewer. We
            ask authors to explain *why* in the description, and reviewers to respond within a
            working day. Fast feedback on small changes turns review from a gate into a
            conversation, which is what it was meant to be.
            """,
    ),
    PostSpec(
        slug="why-we-render-markdown-once",
        title="Why We Render Markdown Once",
        author="mara",
        category="Engineering",
        tags=("Markdown", "Performance", "Security", "Django"),
        days_ago=58,
        excerpt=(
            "Rendering Markdown in the template is convenient until it is slow, inconsistent, and"
            " a security review finding. We render on save and store the result."
        ),
        markdown="""
            For a long time our post template called a Markdown filter on every request. It was one
            line, it worked, and it quietly became the most expensive thing on the page. Worse, the
            sanitiser ran in the same place, so a change to the allowlist changed every old post the
            next time someone opened it.

            ## Render on write, not on read

            The body a writer types is the source of truth. The HTML a reader sees is a derived
            artefact, and derived artefacts belong next to their source with a clear rule for when
            they are rebuilt. Now the service that saves a post renders and sanitises the body once
            and stores both.

            ```python
            post.body = body
            post.body_html = markdown_to_safe_html(body)
            post.reading_minutes = reading_minutes(body)
            post.full_clean()
            post.save()
            ```

            The template does nothing clever. It outputs a field that was made safe at a single,
            reviewable point. Search indexing, the RSS feed, and the API all use the same stored
            HTML, so they cannot drift apart.

            ## What it costs

            There are trade-offs, and they are worth naming:

            1. Changing the renderer means re-rendering existing posts, which is a management
               command rather than an accident.
            2. Storage roughly doubles for post bodies. For text, that is a rounding error.
            3. Anyone who writes to the table directly bypasses the rendering. So nobody does;
               writes go through the service.

            The second-order benefit surprised me most. When a security reviewer asked where user
            HTML is sanitised, the answer was one function with one test file. That conversation
            used to take an afternoon.
            """,
    ),
    PostSpec(
        slug="focus-rings-are-not-ugly",
        title="Focus Rings Are Not Ugly",
        author="priya",
        category="Design",
        tags=("Accessibility", "Typography"),
        days_ago=65,
        excerpt=(
            "Removing the focus outline is the most common accessibility regression on the web. "
            "Designing a good one takes ten minutes."
        ),
        markdown="""
            Somewhere in most old stylesheets is a line that says `outline: none`. It was usually
            added because a designer saw a blue rectangle around a clicked button and found it ugly.
            The result is a site that keyboard users cannot navigate, because they no longer know
            where they are.

            ## Use focus-visible

            Browsers now distinguish between focus caused by a pointer and focus caused by a
            keyboard. The `:focus-visible` pseudo-class matches only when the browser judges that a
            visible indicator is useful, which mostly means keyboard navigation. That removes the
            original complaint.

            ```css
            :focus-visible {
              outline: 3px solid var(--focus-ring);
              outline-offset: 2px;
              border-radius: 4px;
            }
            ```

            ## Design it on purpose

            A focus ring is a piece of the interface, so give it the same attention as a hover
            state. A few principles have served us well:

            1. Make it at least as visible as the hover state. Keyboard users have no other cue.
            2. Use an offset so the ring does not blend into the element's own border.
            3. Check contrast against every background it can appear on, including dark mode and
               image cards.
            4. Never rely on colour change alone; a thicker outline survives colour-blindness and
               bright sunlight.

            Once we treated focus as a design element, people stopped asking to remove it. Several
            said the new ring made the site feel more considered. That is the quiet point of
            accessibility work: the care shows, even to people who never press Tab.
            """,
    ),
    PostSpec(
        slug="what-broke-when-we-moved-to-utc",
        title="What Broke When We Moved to UTC",
        author="mara",
        category="Field Notes",
        tags=("PostgreSQL", "Python", "Deployment"),
        days_ago=70,
        excerpt=(
            "Moving a seven-year-old application to timezone-aware timestamps took three weeks "
            "and surfaced bugs we had lived with for years without noticing."
        ),
        markdown="""
            Our application stored timestamps as naive local time, in the timezone of the office
            where it was first deployed. It mostly worked. Then we hired people in three other
            countries, and the bugs we had quietly tolerated started showing up in support tickets.
            These are notes from the three weeks it took to fix.

            ## The plan

            The plan itself was short: turn on `USE_TZ`, convert every existing timestamp column
            from local time to UTC, and fix whatever broke. The conversion was a data migration that
            interpreted each stored value in the old zone and wrote it back as UTC. We ran it on a
            copy of production three times before running it for real.

            ## What actually broke

            - **Daily reports.** They grouped by date in the database, so "yesterday" silently
              became a UTC day, shifting totals by hours.
            - **Scheduled posts.** A few were scheduled for the ambiguous hour when clocks go back.
              We found two that would have published twice.
            - **Tests.** Dozens of tests built naive datetimes by hand. Each one needed a zone, and
              several revealed assertions that had only passed by coincidence.
            - **One third-party export.** It expected local time without saying so. We added a
              conversion at the boundary.

            ## What I learned

            The migration itself was uneventful. The work was finding every place that had made an
            assumption about time without writing it down. The daily reports were the best example:
            nobody had ever decided which timezone a "day" belonged to. Now the report takes the
            zone as a parameter, and the default is the reader's, not the server's.

            If you are considering the same move, search your codebase for every date truncation and
            every "today" before you start. That list is your real scope, and it is longer than the
            column list.
            """,
    ),
    PostSpec(
        slug="write-the-ending-first",
        title="Write the Ending First",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing", "Productivity"),
        days_ago=82,
        featured=True,
        excerpt=(
            "If you know where a piece lands, every paragraph has somewhere to go. Drafting the "
            "conclusion early is the most reliable cure I know for a wandering draft."
        ),
        markdown="""
            For years I wrote the way most people do: start at the top, keep going, and hope an
            ending reveals itself. Sometimes it did. More often I reached the bottom of the page
            with three thousand words, no conclusion, and a growing suspicion that the piece was
            about something other than what I had meant.

            ## An ending is a destination

            Now I write the last paragraph first, before any of the middle. Not a polished version,
            just a rough statement of where I want the reader to end up and what I hope they will
            think or do. It is usually three or four sentences. It often changes. But having it
            written down turns drafting from exploration into navigation.

            With the ending in place, every paragraph faces a simple test: does it move the reader
            toward that last paragraph? If it does not, it is either in the wrong piece or in the
            wrong place. That one question has cut more digressions from my work than any editor.

            ## How I do it

            1. Write the title and a one-sentence summary of the argument.
            2. Write the final paragraph, as if the piece were already convincing.
            3. List the three or four steps a sceptical reader needs to get there.
            4. Draft each step as a section, checking it against the ending as I go.
            5. Rewrite the ending last, because by then I know what I actually proved.

            ## When the ending changes

            Sometimes the draft pulls somewhere better than the planned conclusion. That is fine,
            and it is a good sign. The point of writing the ending first is not to lock the argument
            in place. It is to notice when the argument moves, so you can decide to follow it rather
            than drift.

            I suspect this works for the same reason a test written before the code works. It
            defines done. And a piece of writing, like a feature, is much easier to finish when you
            know what finished looks like.
            """,
    ),
    PostSpec(
        slug="line-length-is-a-kindness",
        title="Line Length Is a Kindness",
        author="priya",
        category="Design",
        tags=("Typography", "Accessibility"),
        days_ago=84,
        featured=True,
        excerpt=(
            "Long lines make readers work harder to find the start of the next one. Setting a "
            "comfortable measure is the cheapest readability improvement there is."
        ),
        markdown="""
            If you have ever lost your place reading a wide web page, the problem was probably not
            the font. It was the measure: the length of each line. When lines run too long, the eye
            has to travel a long way back to find the start of the next one, and it sometimes lands
            on the wrong line.

            ## The comfortable range

            Typographers have argued about the ideal measure for a century, and the arguments land
            in a familiar range. For body text, somewhere between 60 and 75 characters per line is
            comfortable for most readers. Narrower columns work for captions and asides; wider ones
            suit code, where lines are scanned rather than read.

            | Context | Characters per line | Notes |
            | --- | --- | --- |
            | Article body | 60-75 | Our default |
            | Pull quotes, captions | 35-50 | Short lines slow the eye on purpose |
            | Code blocks | up to 100 | Scroll horizontally rather than wrap |
            | Mobile body text | 35-45 | The screen decides for you |

            ## Setting it in CSS

            The `ch` unit measures the width of the zero glyph in the current font, which makes it a
            reasonable proxy for character count. A maximum width of around `68ch` on the article
            container gets most of the way there, and it scales with the reader's chosen font size.

            Do not forget line height. Longer lines need a little more leading to keep the rows
            distinct, which is why a single line-height value rarely suits both the article and the
            sidebar.

            ## Why it matters

            A comfortable measure helps everyone, and it helps some readers a great deal, especially
            people with dyslexia or low vision who zoom their text. It costs one CSS property. There
            are few design decisions with a better return.
            """,
    ),
    PostSpec(
        slug="the-two-pass-edit",
        title="The Two-Pass Edit",
        author="jonah",
        category="Craft",
        tags=("Editing", "Writing"),
        days_ago=89,
        excerpt=(
            "Trying to fix structure and sentences at the same time is why editing feels endless."
            " Separate passes make each one faster and kinder."
        ),
        markdown="""
            When I started editing other people's work, I would go through a draft once, top to
            bottom, fixing everything I saw: a confusing section order here, a weak verb there, a
            missing comma in between. It took ages, the notes were overwhelming, and half my
            sentence-level suggestions were wasted on paragraphs that later got cut.

            ## Structure first

            The first pass ignores sentences entirely. I read the draft quickly, once, and then
            write a short outline of what it actually says, which is often different from what the
            writer planned. Then I ask the big questions. Is the main point stated early enough?
            Does each section earn its place? Is anything in the wrong order?

            My notes from this pass are few and large. "Sections three and four are the same
            argument; merge them." "The real opening is the anecdote on page two."

            ## Sentences second

            Only after the structure is settled do I read closely. Now the notes are small and many,
            and they land on text that is going to survive.

            | Pass | Reading speed | Looks for | Typical notes |
            | --- | --- | --- | --- |
            | Structure | Fast | Argument, order, gaps | Three to five |
            | Sentences | Slow | Clarity, rhythm, accuracy | Dozens |

            ## Why it is kinder

            Splitting the edit also changes how feedback feels to receive. A writer given forty
            notes at once, mixing "rethink the premise" with "this comma", cannot tell which matter.
            Given five structural notes first, they can rework the draft with confidence, and the
            line edit that follows feels like polishing rather than demolition.

            I use the same split on my own drafts, with a day between passes. The gap matters. It
            lets me read my own structure the way a stranger would.
            """,
    ),
    PostSpec(
        slug="the-case-for-a-plain-text-notebook",
        title="The Case for a Plain Text Notebook",
        author="mara",
        category="Tools",
        tags=("Productivity", "Markdown", "Writing"),
        days_ago=98,
        excerpt=(
            "I have tried a dozen note-taking apps. The one that stuck is a folder of Markdown "
            "files, a text editor, and a search command."
        ),
        markdown="""
            Over ten years I have moved my notes between at least a dozen applications. Each
            migration lost something: formatting, links, attachments, or simply my trust that the
            notes would still be readable in five years. Three years ago I moved everything into a
            folder of plain Markdown files, and I have not wanted to move since.

            ## The whole system

            There is very little to it, which is the point.

            - One folder, synced between machines and backed up like any other files.
            - One file per day for the working log, named by date, like `2025-03-14.md`.
            - One file per topic for anything longer lived, with a plain, searchable title.
            - Links between files written as ordinary Markdown links.

            Any editor can open the notes. Any search tool can search them. If every application I
            use disappeared tomorrow, the notes would still be readable with whatever came next.

            ## Search replaces organisation

            I used to spend time designing folders and tags. Now I rely on search. A fast search
            tool across a few thousand text files returns results instantly, and because the notes
            are plain text, there is no index to corrupt. I still use a small number of consistent
            words, such as "decision" and "todo", which makes common searches reliable.

            ## What I gave up

            Plain text is worse at some things. Images are files next to the notes rather than
            embedded. Tables are tedious to edit by hand. There is no pretty graph of connections. I
            have found I do not miss any of them as much as I expected, and I do not miss worrying
            about exporting my notes at all.

            The best note-taking tool, it turns out, is the one you will still be able to open in
            ten years.
            """,
    ),
    PostSpec(
        slug="onboarding-is-documentation-you-can-test",
        title="Onboarding Is Documentation You Can Test",
        author="mara",
        category="Culture",
        tags=("Documentation", "Teams", "Career"),
        days_ago=102,
        excerpt=(
            "Every new hire is a fresh test of your documentation. Treating their first week as a"
            " test run, and fixing what fails, improves things for everyone after them."
        ),
        markdown="""
            The first week of a new colleague is the only time you get to see your project through
            fresh eyes. Everything the team has stopped noticing, such as the undocumented
            environment variable, the script that only works on one operating system, or the service
            nobody remembers setting up, becomes visible again. Most teams waste that opportunity by
            helping the new person around each obstacle instead of removing it.

            ## The rule: fix the doc, not the person

            We ask every new hire to follow the written setup guide exactly, and to stop the moment
            something does not work. Instead of explaining the workaround in chat, a teammate pairs
            with them to fix the guide or the script, and the fix goes into a pull request that the
            new person opens. Their first merged change is usually an improvement to onboarding.

            It is slower on the first day. It is much faster for the next hire, and the one after
            that.

            ## What the first week should include

            1. A working development environment, from a clean machine, by the end of day one.
            2. One small, real change merged and deployed by the end of the week.
            3. A short written map of the system: the main pieces, who owns them, and where the logs
               are.
            4. Time with each person they will work with closely, with no agenda.

            ## Ask what surprised them

            At the end of their first month, we ask new colleagues what surprised them, what they
            still do not understand, and what they would change. Their answers are the most honest
            review of our culture we get. Once they have been here a year, they will have stopped
            noticing too.
            """,
    ),
    PostSpec(
        slug="pagination-without-regret",
        title="Pagination Without Regret",
        author="mara",
        category="Engineering",
        tags=("PostgreSQL", "Performance", "Django"),
        days_ago=113,
        excerpt=(
            "Offset pagination is fine until page four hundred. A short comparison of offset and "
            "keyset paging, and how to pick between them."
        ),
        markdown="""
            Pagination is one of those features that works perfectly in the demo. Page one is fast,
            page two is fast, and nobody visits page four hundred until a crawler does, at which
            point the database is counting and discarding thousands of rows to hand back twenty.

            ## Two ways to page

            Offset pagination asks for "rows 8,000 to 8,020". Keyset pagination asks for "the twenty
            rows after this one". The difference looks academic until you put them side by side.

            | | Offset | Keyset |
            | --- | --- | --- |
            | Jump to page 37 | Easy | Not possible |
            | Cost of deep pages | Grows with depth | Constant |
            | Stable under inserts | No; rows shift | Yes |
            | Needs a unique sort key | No | Yes |

            Neither is wrong. A public archive where readers want numbered pages can use offsets
            with a sensible cap. An infinite feed, an API, or anything a bot will walk should use
            keysets.

            ## Keysets in practice

            The trick is a sort key that is unique and indexed. Publication date alone is not
            unique, so we sort by date and then by id, and the cursor carries both. The query
            becomes a row comparison that PostgreSQL can answer straight from the index:

            ```sql
            SELECT id, title FROM blog_post
            WHERE (published_at, id) < (%s, %s)
            ORDER BY published_at DESC, id DESC
            LIMIT 20;
            ```

            Encode the cursor opaquely so clients do not build their own, and return the next cursor
            with each page. The page numbers disappear, and so does the slow query log entry that
            started this whole exercise.
            """,
    ),
    PostSpec(
        slug="notes-on-interviewing-twelve-readers",
        title="Notes on Interviewing Twelve Readers",
        author="aiko",
        category="Field Notes",
        tags=("Writing", "Accessibility"),
        days_ago=119,
        excerpt=(
            "We asked twelve regular readers to show us how they actually use the site. Most of "
            "what we learned contradicted our analytics, politely."
        ),
        markdown="""
            Our analytics told us what readers clicked. They could not tell us why, or what people
            wanted and did not find. So over two weeks, we spoke with twelve regular readers for
            forty-five minutes each, and asked them to share their screen and show us how they read.

            ## How we ran the sessions

            We kept the format simple. Five minutes of background questions, thirty minutes of the
            reader using the site as they normally would while thinking aloud, and ten minutes of
            open questions at the end. We did not show them new designs. The point was to watch the
            current site meet real habits.

            ## What surprised us

            - Eight of the twelve read mostly through the email newsletter and rarely used the
              homepage at all.
            - Several used the browser's reader mode on every article, which meant our careful
              typography was invisible to them.
            - Tags were nearly unused for browsing, but readers used them to judge whether a post
              was relevant before clicking.
            - Two readers used screen magnification and found the sticky header covered a third of
              the text.

            ## What we changed

            The sticky header went first; it was an easy fix with a large effect. We also made sure
            articles render well in reader mode, which mostly meant cleaner markup. The homepage
            redesign we had planned was postponed. Our most loyal readers barely visit it, so the
            effort went into the newsletter instead.

            ## A note on numbers

            Twelve people is not a statistically meaningful sample, and we did not treat it as one.
            Interviews are good at discovering things you did not know to measure. We then checked
            each finding against the analytics, and every one of them held up once we knew where to
            look.
            """,
    ),
    PostSpec(
        slug="a-type-scale-you-can-remember",
        title="A Type Scale You Can Remember",
        author="priya",
        category="Design",
        tags=("Typography", "Accessibility"),
        days_ago=127,
        excerpt=(
            "A type scale with twelve arbitrary sizes is a scale nobody follows. Five steps with "
            "a clear ratio will cover nearly every page."
        ),
        markdown="""
            Our old stylesheet had twenty-three distinct font sizes. Nobody chose that number. It
            accumulated as each new component picked a size that looked about right next to its
            neighbours. The result was a site where headings of the same rank looked slightly
            different on every page.

            ## Fewer steps, stronger ratio

            We replaced the lot with a modular scale of five steps. Each step is the previous one
            multiplied by a fixed ratio, here 1.25, starting from the body size. The numbers are
            less important than the fact that there are only five of them.

            | Step | Size | Used for |
            | --- | --- | --- |
            | -1 | 0.8rem | Captions, metadata |
            | 0 | 1rem | Body text |
            | 1 | 1.25rem | Subheadings, lead paragraphs |
            | 2 | 1.563rem | Section headings |
            | 3 | 1.953rem | Page titles |

            With a scale this small, choosing a size becomes a conversation about hierarchy rather
            than pixels. "Is this a section heading or a subheading?" is a question with an answer.
            "Is this 19px or 20px?" is not.

            ## Let the scale breathe on small screens

            A ratio that works on a large monitor can make titles overwhelming on a phone. We use a
            smaller ratio below a breakpoint, so the same five steps compress gracefully, and we let
            the body size stay fixed so readers' own settings are respected.

            The real win was not aesthetic. Once the scale was five named tokens, designers and
            developers started using the same words for the same things, and reviewing a new
            component took minutes instead of a round of screenshots.
            """,
    ),
    PostSpec(
        slug="how-to-write-a-good-commit-message",
        title="How to Write a Good Commit Message",
        author="jonah",
        category="Craft",
        tags=("Git", "Writing", "Documentation"),
        days_ago=130,
        excerpt=(
            "A commit message is a letter to the next person who runs git blame on your line. "
            "Usually that person is you, eight months later, and confused."
        ),
        markdown="""
            Commit messages are the most-read documentation most teams produce, and the least
            edited. Every time someone runs `git blame` to understand why a line exists, they are
            reading a commit message, usually in a hurry and often during an incident. "Fix stuff"
            is not going to help them.

            ## The shape that works

            The conventions that have lasted are simple. A short summary line, a blank line, and
            then a body that explains why.

            ```text
            comments: Broadcast new comments after the transaction commits.

            Sending the event inside the transaction meant readers could see a
            comment that was then rolled back when validation failed further down.
            Moving the broadcast to on_commit ties it to the stored row.
            ```

            The summary is written in the imperative, as if completing the sentence "If applied,
            this commit will...". It names the area of the code first, which makes the log
            scannable. It stays under about seventy characters, so it is not truncated in tools.

            ## The body answers why

            The diff already shows *what* changed. The message is the only place to record *why*:
            the bug it fixes, the alternative you rejected, the constraint that is not obvious from
            the code. Those are exactly the things a future reader cannot reconstruct.

            ## Small commits, better messages

            Good messages are much easier to write for commits that do one thing. If the summary
            needs the word "and", consider splitting the commit. Mechanical changes, such as renames
            and moved files, deserve their own commits, so reviewers can skim them and the
            interesting change stands on its own.

            It takes an extra minute per commit. That minute is repaid the first time someone
            understands a strange line without having to find you and ask.
            """,
    ),
    PostSpec(
        slug="blameless-doesnt-mean-pointless",
        title="Blameless Doesn't Mean Pointless",
        author="mara",
        category="Culture",
        tags=("Teams", "Deployment", "Documentation"),
        days_ago=140,
        featured=True,
        excerpt=(
            "Blameless incident reviews are sometimes mistaken for reviews without consequences. "
            "Done well, they change more than blame ever did."
        ),
        markdown="""
            When we introduced blameless incident reviews, a senior colleague worried we were
            removing accountability. If nobody is at fault, he asked, what makes anything change? It
            is a fair question, and the answer is the whole point of the practice.

            ## Blame stops the investigation

            When an incident review looks for someone to blame, it usually finds them quickly. An
            engineer ran the wrong command, merged a broken change, or missed an alert. The review
            records a human error, someone resolves to be more careful, and the meeting ends.
            Nothing about the system that made the error easy has changed, so it happens again, to
            someone else.

            > "Human error" is where a good investigation starts, not where it ends.

            A blameless review assumes that people made reasonable decisions with the information
            and tools they had. Then it asks why those decisions led to an incident. Why did the
            command look safe? Why could a broken change be merged? Why was the alert easy to miss?
            Those questions have answers that can be fixed.

            ## Accountability moves, it does not vanish

            Blameless reviews still produce accountability. It attaches to actions instead of
            mistakes. Every review ends with a short list of follow-ups, each with an owner and a
            date, and those follow-ups are tracked as seriously as feature work.

            ## What makes it work

            - People describe what they saw and did, in their own words, without fear of
              consequences.
            - The timeline is written before anyone proposes causes, so facts come before theories.
            - Reviews are shared widely, and the most useful ones are read by teams that were not
              involved.

            Two years in, our incidents are not fewer, but they are different. We rarely have the
            same one twice, and the reviews are where people now bring their most candid
            observations about how we work.
            """,
    ),
    PostSpec(
        slug="linters-are-opinions-you-agree-to-once",
        title="Linters Are Opinions You Agree to Once",
        author="tomas",
        category="Tools",
        tags=("Python", "Testing", "Teams", "Security"),
        days_ago=147,
        excerpt=(
            "A linter's real value is not catching bugs. It is ending arguments about style so "
            "that code review can focus on what the code does."
        ),
        markdown="""
            Before we adopted a formatter and a strict linter, a surprising share of our code review
            comments were about style: import order, quote characters, trailing commas, line breaks.
            None of it mattered much, and all of it caused friction. The change that ended it was
            not a better style guide. It was letting a tool decide.

            ## Agree once, then stop discussing

            The value of a linter is that the team argues about each rule exactly once, when the
            configuration is written. After that, the tool enforces it, and nobody needs to mention
            it in review again. Our configuration is short and lives in the project file:

            ```toml
            [tool.ruff]
            line-length = 100

            [tool.ruff.lint]
            select = ["E", "F", "I", "B", "UP", "DTZ", "S"]
            ignore = ["E501"]
            ```

            The formatter handles layout entirely. The linter's selected rules catch real problems:
            unused imports, mutable default arguments, naive datetimes, and obvious security
            mistakes.

            ## Choose rules that pay

            Not every available rule is worth enabling. We add a rule when it has caught, or would
            have caught, a real bug, and we remove one when it produces more noise than signal.
            Rules about naive datetimes earned their place in the first week.

            ## Make it invisible

            A linter works best when developers rarely think about it:

            - The editor formats on save, so most issues never reach a commit.
            - A pre-commit hook runs the fast checks locally.
            - Continuous integration runs everything and blocks the merge if anything fails.

            Once it was in place, review comments about style dropped to nearly zero. The
            conversations that replaced them were about naming, design, and behaviour, which is what
            we wanted reviewers spending their attention on all along.
            """,
    ),
    PostSpec(
        slug="counting-queries-is-a-design-tool",
        title="Counting Queries Is a Design Tool",
        author="mara",
        category="Engineering",
        tags=("Django", "Testing", "Performance"),
        days_ago=152,
        excerpt=(
            "A query-count assertion is not a performance test. It is a tripwire that tells you "
            "when a template quietly started talking to the database."
        ),
        markdown="""
            The classic N+1 problem is easy to explain and surprisingly easy to reintroduce. Someone
            adds the author's avatar to a post card, the template reaches through a relation, and a
            list of twenty posts now runs twenty-one queries. Nothing fails. The page is a little
            slower, then a lot slower once comments arrive.

            ## Make the count part of the contract

            The habit that fixed this for us is small: every list view has a test that renders it
            with one item and with twenty, and asserts the same number of queries both times.

            ```python
            def test_post_list_query_count_is_flat(client, django_assert_num_queries, make_posts):
                make_posts(1)
                with django_assert_num_queries(4):
                    client.get("/posts/")
                make_posts(19)
                with django_assert_num_queries(4):
                    client.get("/posts/")
            ```

            The exact number matters less than its stability. If a change pushes it from four to
            five, that is a conversation, not necessarily a bug. If it goes from four to
            twenty-four, the test has just saved you a production incident.

            ## Where the queries belong

            The test works best alongside one rule: templates and components never query. Views call
            selectors, and selectors return querysets with `select_related` and `prefetch_related`
            already applied. When the data a template needs is decided in one place, it can be
            counted in one place.

            This has a pleasant side effect on design. Asking "what does this page need from the
            database?" before writing the template tends to produce simpler pages. It is harder to
            sprinkle a sixth relation onto a card when you have to write it down in the selector
            first.
            """,
    ),
    PostSpec(
        slug="our-first-accessibility-audit-honestly",
        title="Our First Accessibility Audit, Honestly",
        author="aiko",
        category="Field Notes",
        tags=("Accessibility", "Testing"),
        days_ago=164,
        excerpt=(
            "We thought the site was mostly accessible. An external audit found forty-one issues,"
            " three of them serious. Here is what they were and how we fixed them."
        ),
        markdown="""
            We had always considered ourselves careful about accessibility. We used semantic HTML,
            wrote alt text, and ran an automated checker before releases. When we finally paid for
            an external audit, the report listed forty-one issues. Most were minor. Three meant that
            some people could not use parts of the site at all.

            ## The serious three

            1. **The comment form trapped keyboard focus.** After submitting, focus stayed on a
               hidden element, and keyboard users had no way back into the page without reloading.
            2. **Live updates were silent.** New comments appeared visually but were never announced
               to screen readers.
            3. **The mobile menu could not be closed with Escape**, and its close button had no
               accessible name, so it was read out as "button".

            None of these would have been caught by an automated tool. Each one was found by a
            person using assistive technology for real.

            ## What the rest looked like

            The remaining issues were a mix of familiar things: a few low-contrast labels,
            decorative images with alt text that should have been empty, heading levels that skipped
            from two to four, and form errors that were not linked to their fields. Individually
            small, collectively tiring for anyone who met all of them.

            ## What changed in our process

            The fixes took about two weeks. The process changes will last longer. Every new
            interactive component is now tested with a keyboard and a screen reader before review,
            following a short written script. We added accessibility checks to our end-to-end tests
            for the journeys that matter most. And we booked the next audit for a year from now,
            because the honest lesson of this one was that good intentions had not been enough.
            """,
    ),
    PostSpec(
        slug="color-contrast-beyond-the-checker",
        title="Color Contrast Beyond the Checker",
        author="priya",
        category="Design",
        tags=("Accessibility", "Typography"),
        days_ago=166,
        excerpt=(
            "Passing an automated contrast check is the floor, not the goal. Real readability "
            "depends on weight, size, and where the text sits."
        ),
        markdown="""
            Automated contrast checkers are invaluable, and they are easy to misread. A ratio of
            4.5:1 for body text is the minimum WCAG asks for at level AA. It is not a target to aim
            at precisely, and it does not account for everything that makes text readable.

            ## Thin fonts need more contrast

            Contrast ratios are calculated from colours alone, but perceived contrast also depends
            on how much ink a glyph puts on the screen. A light-weight typeface at small sizes can
            pass the checker and still be hard to read, because its hairline strokes barely
            register. When we moved to a thinner body font, we also darkened the text colour, even
            though the old colour still "passed".

            > The checker tells you when text is definitely too faint. Only reading it tells you
            > when it is comfortable.

            ## Context changes everything

            Text rarely sits on a flat background for its whole life. It ends up over images, inside
            tinted callouts, on hover states, and in dark mode. Each of those is a separate contrast
            pair that needs checking. We keep a short list of the combinations that matter most:

            - Body text on page background, both themes.
            - Link text on body background, and in visited state.
            - Muted metadata text on cards, which is where most failures hide.
            - Text on image overlays, tested against the lightest plausible image.

            ## Do not go to the other extreme

            Maximum contrast, pure black on pure white, can cause glare for some readers, especially
            on bright screens. A very dark grey on an off-white background often reads better while
            still exceeding the minimum comfortably. Good contrast is a range, and the job is to
            land well inside it.
            """,
    ),
    PostSpec(
        slug="verbs-do-the-work",
        title="Verbs Do the Work",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing"),
        days_ago=171,
        excerpt=(
            "Weak prose is usually weak verbs dressed up in nouns and adverbs. Finding the action"
            " in a sentence and giving it to a verb fixes more than any other edit."
        ),
        markdown="""
            If I could give writers one editing habit, it would be this: find the action in each
            sentence and make sure a verb is doing it. Much of the stiffness in technical and
            business writing comes from actions that have been turned into nouns, with a weak verb
            like "make", "perform", or "provide" left holding them up.

            ## Spot the buried verb

            These nouns are verbs in disguise. When you see one, ask who is doing what, and say that
            instead:

            - "We performed an investigation of the outage" becomes "We investigated the outage".
            - "The team made a decision to postpone" becomes "The team decided to postpone".
            - "This provides an improvement in load time" becomes "This loads faster".
            - "There was a failure of the backup" becomes "The backup failed".

            Each rewrite is shorter, and each names the actor. That second part matters. A sentence
            with no clear actor often hides responsibility, which readers notice even when they
            cannot say what bothers them.

            ## Adverbs are a clue

            An adverb propping up a verb often means the verb is too weak. "Walked slowly" may want
            to be "shuffled" or "ambled"; "quickly fixed" may want to be "patched". Not every adverb
            needs replacing, but each is worth a second look.

            ## Passive is fine, sometimes

            The passive voice gets blamed for a lot, and it is not always wrong. "The database was
            restored at 04:10" is a perfectly good sentence if the reader cares about the database,
            not who restored it. The problem is passive voice used to avoid saying who acted. Ask
            whether the actor matters to the reader. If it does, name them.

            Try this on a single page of your own writing. Circle every verb. If most of them are
            "is", "has", or "makes", you have found your next edit.
            """,
    ),
    PostSpec(
        slug="a-week-without-dashboards",
        title="A Week Without Dashboards",
        author="aiko",
        category="Field Notes",
        tags=("Productivity", "Teams", "Remote Work"),
        days_ago=180,
        featured=True,
        excerpt=(
            "For one week, our team turned off every metrics dashboard and relied on alerts and "
            "conversation. We expected chaos. We got calmer days and a shorter list of metrics."
        ),
        markdown="""
            Our team had eleven dashboards. Someone had one open on a second monitor at almost every
            moment of the working day. When a colleague asked what decision any of them had changed
            in the last month, nobody could name one. So we tried an experiment: for one week, no
            dashboards at all.

            ## The rules

            We kept the safety net. Alerts stayed on, on-call stayed on, and anyone could open a
            dashboard during an incident. Outside incidents, dashboards were closed. Instead, each
            morning one person spent fifteen minutes reviewing the numbers and wrote a three-line
            summary in the team channel.

            ## What happened

            The first two days were uncomfortable. People reached for the missing tab out of habit,
            the way you reach for a phone that is not in your pocket. By Wednesday, that had faded.
            By Friday, several people said they had done more focused work that week than in the
            previous month.

            Nothing went wrong that alerts did not catch. One thing did go wrong that a dashboard
            *might* have shown earlier: a slow rise in failed logins that turned out to be a
            misconfigured client. The daily summary caught it on the second day, which was fast
            enough.

            ## What we kept

            > We did not need to see the numbers all the time. We needed someone to look at them on
            > purpose, once a day, and say what they meant.

            After the week, we deleted six dashboards outright. The daily summary stayed, rotating
            between team members, and it has become one of the more useful things we write. Two new
            alerts were added for things we realised we had been watching manually. The remaining
            dashboards are now opened when there is a question to answer, which is what they were
            for all along.
            """,
    ),
    PostSpec(
        slug="the-case-for-fewer-background-jobs",
        title="The Case for Fewer Background Jobs",
        author="tomas",
        category="Engineering",
        tags=("Deployment", "Performance", "Python"),
        days_ago=184,
        excerpt=(
            "A task queue is a second production system. Before reaching for one, check whether "
            "the work can happen in the request, after commit, or not at all."
        ),
        markdown="""
            Task queues are wonderful, and they are also a second production system with its own
            deploys, monitoring, retries, and failure modes. I have seen small teams adopt one on
            day one and spend more time debugging lost jobs than they ever saved on response times.

            ## Questions before the queue

            When someone proposes a new background job, I ask three things. First, how long does the
            work take? Sending one email through a local relay takes milliseconds; it rarely needs a
            worker. Second, what happens if it runs twice? If the answer is "a reader gets two
            emails", the job needs idempotency keys before it needs a queue. Third, what happens if
            it never runs? If nobody would notice for a week, perhaps it should be a nightly command
            instead.

            ## The middle ground

            There is a useful option between "in the request" and "in a queue": run the work after
            the transaction commits. Django's `transaction.on_commit` keeps side effects from firing
            for rows that were rolled back, which removes a whole category of ghost notifications.

            - Work under about 100 ms that must happen: do it after commit, in-process.
            - Slow or flaky work that must happen: queue it, with retries and a dead-letter view.
            - Work that can wait: a scheduled command, run by cron or the platform's scheduler.

            We ended up with two queued tasks where we once had eleven. The remaining two are
            genuinely slow, and both have dashboards that someone actually looks at. That is the
            real cost of a job: not the code, but the attention.
            """,
    ),
    PostSpec(
        slug="bisecting-your-way-out-of-trouble",
        title="Bisecting Your Way Out of Trouble",
        author="tomas",
        category="Tools",
        tags=("Git", "Testing", "Terminal"),
        days_ago=195,
        excerpt=(
            "When you know something worked last month and does not work now, git bisect finds "
            "the commit that broke it in a handful of steps, often without you reading any code."
        ),
        markdown="""
            A reader reported that the RSS feed had stopped including post images. We knew it had
            worked at the last release, about four hundred commits earlier. Nobody remembered
            touching the feed. Rather than read four hundred diffs, we let Git find the culprit.

            ## How bisect works

            `git bisect` performs a binary search through history. You tell it one commit where the
            behaviour was good and one where it is bad. It checks out a commit halfway between, you
            test it, and you report the result. Each step halves the range, so four hundred commits
            take about nine steps.

            ```sh
            git bisect start
            git bisect bad                 # the current commit is broken
            git bisect good v2.3.0         # the last release worked
            # Git checks out a commit in the middle; test it, then:
            git bisect good                # or: git bisect bad
            # ...repeat until Git names the first bad commit...
            git bisect reset               # return to where you started
            ```

            ## Let a script do the testing

            If you can express "good" as a command that exits successfully, bisect can run without
            you. We wrote a small test that fetched the feed and checked for an image tag, then ran:

            ```sh
            git bisect run pytest tests/test_feed.py -x -q
            ```

            Nine automatic steps later, Git pointed at a commit that had tightened the HTML
            sanitiser. It had removed `img` from the allowed tags in the feed's profile. The change
            was correct for comments and wrong for the feed.

            ## Tips

            - Commits that do not build make bisecting slower. Skip them with `git bisect skip`.
            - Small, focused commits make the result far more useful; a bisect that lands on a
              thousand-line change still leaves work to do.
            - Keep the test that drove the bisect. It is now a regression test.
            """,
    ),
    PostSpec(
        slug="saying-no-to-good-ideas",
        title="Saying No to Good Ideas",
        author="priya",
        category="Culture",
        tags=("Teams", "Productivity"),
        days_ago=201,
        excerpt=(
            "Bad ideas are easy to decline. The hard part of focus is turning down good ideas "
            "that would still pull the team away from what matters most this quarter."
        ),
        markdown="""
            Nobody struggles to reject a bad idea. The difficult requests are the good ones: a
            sensible feature that a loyal customer wants, a design improvement that would clearly
            help, a refactor that everyone agrees is overdue. Each is worth doing. Together they are
            enough to ensure that the most important thing never gets finished.

            ## Make the trade visible

            The most effective way I have found to decline a good idea is to make the trade
            explicit. Instead of "not now", I say what would be delayed if we said yes. "We can do
            this, and the editor redesign moves from March to May" is a different conversation from
            a flat refusal. Sometimes the answer changes, and that is fine: the trade was made with
            open eyes.

            ## Keep a visible "not now" list

            Declined ideas do not disappear; they go on a public list with a short note about why
            they are waiting. It does three things:

            - The person who suggested it can see it was heard and recorded.
            - The same idea does not need to be argued again next week.
            - When priorities change, the list is a ready-made pool of well-understood work.

            ## Say no early and kindly

            The worst kind of no is the slow one: an idea that is never rejected, never scheduled,
            and quietly ignored until its author gives up asking. It costs goodwill and wastes
            everyone's time. A quick, reasoned no, with the trade spelled out, is more respectful
            than an indefinite maybe.

            Focus is not a personality trait. It is what a team has left after it has said no to
            enough good ideas, clearly and on purpose.
            """,
    ),
    PostSpec(
        slug="a-terminal-setup-that-stays-out-of-the-way",
        title="A Terminal Setup That Stays Out of the Way",
        author="tomas",
        category="Tools",
        tags=("Terminal", "Productivity", "Git"),
        days_ago=209,
        featured=True,
        excerpt=(
            "My shell configuration used to be three hundred lines of plugins. Now it is thirty, "
            "starts instantly, and does everything I actually use."
        ),
        markdown="""
            There was a period when I collected shell plugins the way some people collect
            houseplants. My configuration file grew to three hundred lines, the prompt showed eleven
            pieces of information, and a new terminal took almost a second to open. One day I
            deleted the whole thing and started again, adding back only what I missed. A year later,
            the file is about thirty lines.

            ## The parts that earned their place

            **History that remembers.** Most of my productivity comes from finding commands I have
            run before. A large, shared, deduplicated history does more than any plugin:

            ```sh
            HISTSIZE=100000
            HISTFILESIZE=100000
            HISTCONTROL=ignoreboth:erasedups
            shopt -s histappend
            ```

            Combined with reverse search (Ctrl-R), or a fuzzy finder if you prefer one, this covers
            most of what plugins promised.

            **A quiet prompt.** Mine shows the current directory, the Git branch, and whether the
            last command failed. Everything else I can ask for when I need it.

            **A few aliases**, mostly for Git, each one something I type dozens of times a day.

            ## What I dropped

            - Automatic virtual environment activation, which surprised me more often than it
              helped.
            - A theme framework, replaced by a prompt I can read in one glance.
            - Plugins that wrapped commands I could simply learn, such as completion for tools that
              now ship their own.

            ## The test I apply now

            Before adding anything, I ask whether I will use it every day, and whether I will
            understand it when it breaks. If the answer to either is no, it stays out. The terminal
            opens instantly again, and when something goes wrong, the configuration is short enough
            to read in full.
            """,
    ),
    PostSpec(
        slug="reading-your-draft-aloud",
        title="Reading Your Draft Aloud",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing"),
        days_ago=212,
        excerpt=(
            "Your ear catches what your eye forgives. Reading a draft out loud is slow, slightly "
            "embarrassing, and the best proofreading tool I know."
        ),
        markdown="""
            My eyes are very good at reading what I meant to write. They skip repeated words, supply
            missing ones, and glide over sentences that are grammatically fine but impossible to
            follow. My ear is not so generous. When I read a draft aloud, every stumble is a place
            where a reader will stumble too.

            ## What the ear catches

            Reading aloud forces you to process every word at speaking pace, which is much slower
            than reading pace. Problems that hide at reading speed become obvious:

            - Sentences so long that you run out of breath before the verb arrives.
            - Repeated words in nearby sentences, which the eye forgives and the ear does not.
            - Rhythm that is monotonous, every sentence the same length and shape.
            - Missing words, because you cannot say a word that is not there.

            ## How to make it bearable

            It does feel odd at first, especially in an open office. I read in a low voice, or mouth
            the words, and that catches most of the same problems. Some writers use their computer's
            text-to-speech instead. Hearing a flat synthetic voice stumble over your sentence is
            humbling and effective.

            I do not read the whole draft aloud on every pass. I read the opening, the ending, and
            any paragraph that felt difficult to write, because difficulty in writing usually means
            difficulty in reading.

            ## The payoff

            Prose that sounds good aloud reads faster silently, because readers hear a voice in
            their heads whether they notice or not. The sentences that trip your tongue trip that
            inner voice too. Fix them, and the piece feels easier without the reader ever knowing
            why.
            """,
    ),
    PostSpec(
        slug="maintainers-are-not-vending-machines",
        title="Maintainers Are Not Vending Machines",
        author="tomas",
        category="Culture",
        tags=("Open Source", "Teams"),
        days_ago=222,
        excerpt=(
            "Open source projects run on the goodwill of a few people. A little understanding of "
            "what maintainers face makes your issues and patches far more likely to land."
        ),
        markdown="""
            I have maintained a mid-sized open source library for six years. It has a few thousand
            users and, on a good month, three people actively working on it, all in their spare
            time. Most interactions with users are kind. A small but steady fraction treat the
            project like a vending machine: insert an issue, expect a fix.

            ## What maintainers see

            From the outside, a project looks like an organisation. From the inside, it is usually a
            handful of people with jobs and families, triaging an issue tracker in the evening.
            Every new issue is a small request for unpaid time. That does not mean users should stay
            quiet. It means the way you ask matters a great deal.

            ## How to write an issue that gets fixed

            - Search first. If an issue exists, add a useful detail rather than a "+1".
            - Include a minimal reproduction: the smallest code that shows the problem, plus
              versions.
            - Describe what you expected and what happened instead, in that order.
            - Say what you have already tried, so nobody suggests it again.

            An issue like that can often be fixed in minutes. An issue that says "doesn't work,
            please fix urgently" will wait, not out of spite, but because the maintainer has to do
            your debugging before they can start theirs.

            ## Contributing code

            Patches are welcome, and they are also work to review. Open an issue before a large
            change, so the approach can be agreed before you spend a weekend on it. Keep unrelated
            changes out of the same pull request, and include tests.

            If your company depends on a project, consider what it would cost to replace it, and
            whether a fraction of that could go to the people who keep it running. Sponsorship is
            welcome. So is a thank-you note, which costs nothing and is rarer than you might think.
            """,
    ),
    PostSpec(
        slug="a-month-of-writing-before-nine",
        title="A Month of Writing Before Nine",
        author="aiko",
        category="Field Notes",
        tags=("Writing", "Productivity", "Remote Work"),
        days_ago=229,
        excerpt=(
            "I spent a month writing for forty-five minutes every morning before opening email. "
            "The word count was modest. The change in what I wrote was not."
        ),
        markdown="""
            For most of last year, writing was something I did in the gaps: between meetings, at the
            end of the day, on the rare afternoon without interruptions. Those gaps kept getting
            smaller. So for one month I tried a simple rule: forty-five minutes of writing every
            weekday before nine, before email, chat, or the news.

            ## The setup

            I kept it deliberately plain. A text editor in full-screen mode, notifications off,
            phone in another room, and a single file per day. I did not set a word target. The only
            rule was to keep the editor in front of me for the full forty-five minutes, even if I
            spent some of it staring.

            ## The numbers

            Over twenty-two working days, I wrote about 17,000 words, an average of under 800 a day.
            That is not remarkable. What was remarkable was where the words went: two finished
            essays, a long internal proposal that had been stuck for months, and a pile of notes
            that became three more drafts.

            ## What actually changed

            - Ideas got a first draft within a day or two of arriving, instead of waiting weeks in a
              notes app.
            - Meetings felt less like interruptions, because the most important work of the day was
              already done.
            - I noticed which mornings were hard: almost always after late evenings on chat. That
              was useful, if unwelcome, information.

            ## Would I recommend it

            With caveats. Forty-five minutes was the right length for me; some colleagues who tried
            it preferred twenty. Early mornings are not possible for everyone, and the principle is
            really "write before you react", whenever that fits your day. I have kept the habit
            about four days out of five since the month ended, which feels sustainable in a way the
            original experiment did not.
            """,
    ),
    PostSpec(
        slug="the-form-that-forgave-its-users",
        title="The Form That Forgave Its Users",
        author="priya",
        category="Design",
        tags=("Accessibility", "Writing"),
        days_ago=234,
        excerpt=(
            "Every validation error is a small accusation. Forms that accept reasonable input and"
            " explain their rules up front get fewer errors to begin with."
        ),
        markdown="""
            We once watched a usability session where a reader tried four times to enter a phone
            number. The form wanted digits only. She typed spaces, then dashes, then brackets, and
            each time the error message said "Invalid format" without saying which format it wanted.
            She gave up, and she was a paying subscriber.

            ## Accept more, reject less

            The cheapest error message is the one you never need to show. If you can normalise the
            input, do it: strip spaces from card numbers, lowercase email addresses, accept dates in
            more than one order when the meaning is unambiguous. Be strict about what you store and
            forgiving about what you accept.

            ## Say the rules before the mistake

            When constraints are real, state them next to the field, not only in the error. "At
            least 12 characters" under a password field prevents the error it would otherwise
            produce. Hiding a rule until someone breaks it turns a form into a guessing game.

            ## Write errors that fix themselves

            A good error message says what happened and how to recover, in the reader's words:

            - Instead of "Invalid input", say "Enter the date as day, month, year, like 14 3 2025".
            - Instead of "Field required", say "Enter your email address so we can send the
              receipt".
            - Keep what the user typed, so fixing one field does not mean retyping five.
            - Move focus to the first error and link the summary to each field.

            Forms are where a product asks something of its users. Asking politely, and forgiving
            small mistakes, is the least we can do in return. Our completion rate rose by a fifth
            after the rewrite, and the support inbox got noticeably calmer.
            """,
    ),
    PostSpec(
        slug="timezones-are-a-data-problem",
        title="Timezones Are a Data Problem",
        author="mara",
        category="Engineering",
        tags=("Python", "Django", "PostgreSQL"),
        days_ago=246,
        excerpt=(
            "Most timezone bugs are not about clocks. They are about storing a moment without "
            "saying which moment it is."
        ),
        markdown="""
            We had a bug report that read, in full: "my post says it was published tomorrow." The
            writer was in Auckland, the server was in Frankfurt, and the template formatted a naive
            datetime as if it belonged to whoever happened to be looking. No clock was wrong. The
            data was simply ambiguous.

            ## Store moments, display wall time

            The rule that ended these bugs is old and unglamorous. Store every timestamp as an aware
            datetime in UTC. Convert to a local zone only at the edge, when a human reads it. Django
            does most of this for you when `USE_TZ = True`, as long as you never construct a naive
            datetime by hand.

            ```python
            from django.utils import timezone

            published_at = timezone.now()            # aware, UTC
            local = timezone.localtime(published_at)  # aware, in the active zone
            ```

            The mistake to look for in code review is `datetime.now()` or `datetime.utcnow()`
            without a zone. Ruff's `DTZ` rules catch most of them, which is one of the better
            arguments for turning those rules on.

            ## Dates are not moments

            The subtler problem is that some values are not moments at all. A birthday, a
            publication *date* in a print issue, or "every Monday" are calendar concepts. Storing
            them as midnight UTC invites off-by-one-day errors for half the planet.

            When a field is really a date, use a `DateField`. When a schedule is really local, store
            the zone name beside it. The question to ask of every time-related column is simple: if
            two people on opposite sides of the world read this value, should they see the same
            instant or the same calendar square?
            """,
    ),
    PostSpec(
        slug="dark-mode-is-a-second-design",
        title="Dark Mode Is a Second Design",
        author="priya",
        category="Design",
        tags=("Accessibility", "Typography"),
        days_ago=248,
        excerpt=(
            "Inverting colours is not a dark theme. Shadows, images, and contrast all behave "
            "differently on a dark background and need their own decisions."
        ),
        markdown="""
            The first version of our dark mode took an afternoon. We inverted the palette, shipped
            it, and spent the next month fixing what we had broken. Shadows vanished, images glowed,
            and our carefully tuned greys collapsed into two indistinguishable shades of charcoal.

            ## Elevation works differently

            On a light background, we show that one surface sits above another with a shadow. On a
            dark background, shadows barely register. Dark interfaces usually express elevation with
            lighter surfaces instead: the higher the layer, the lighter its background. That means
            the dark palette needs more steps in the dark range than the light palette has in the
            light range.

            ## Reduce, don't invert

            Pure white text on pure black is harsh, and saturated accent colours that look fine on
            white can vibrate on black. Our dark theme softened almost everything:

            - Text is an off-white at about 87% opacity, with secondary text lower still.
            - Accent colours are desaturated and slightly lighter, then rechecked for contrast.
            - Large images are dimmed a little, so a bright photo does not feel like a flashlight.
            - Borders, which we barely used in light mode, do some of the separating work.

            ## Respect the choice

            Follow the operating system's preference by default, using `prefers-color-scheme`, and
            offer an explicit switch that overrides it. Remember the choice without a flash of the
            wrong theme on load; that flash is the detail users mention most often.

            Treating dark mode as a second design took longer than the inversion. It also produced
            the first version that people chose to keep on.
            """,
    ),
    PostSpec(
        slug="rebuilding-search-in-a-weekend",
        title="Rebuilding Search in a Weekend",
        author="aiko",
        category="Field Notes",
        tags=("PostgreSQL", "Django", "Performance"),
        days_ago=253,
        excerpt=(
            "We replaced an external search service with PostgreSQL full-text search. It is less "
            "clever and much easier to run, and our readers have not noticed the difference."
        ),
        markdown="""
            Our search used a hosted service that cost more each year and needed a separate indexing
            job that failed quietly about once a month. With a few thousand posts, it was hard to
            justify. So I spent a weekend seeing how far PostgreSQL's built-in full-text search
            would take us.

            ## The approach

            PostgreSQL can turn text into a `tsvector`, a normalised list of words with positions,
            and match it against a `tsquery`. Django exposes this through
            `django.contrib.postgres.search`. The core of the new search fits in a few lines:

            ```python
            vector = SearchVector("title", weight="A") + SearchVector("body", weight="B")
            query = SearchQuery(terms, search_type="websearch")
            results = (
                Post.objects.annotate(rank=SearchRank(vector, query))
                .filter(rank__gt=0.05)
                .order_by("-rank")
            )
            ```

            Weighting titles above bodies did most of the work of making results feel right. The
            `websearch` query type accepts the syntax people already type into search boxes,
            including quoted phrases and a minus sign to exclude words.

            ## Making it fast

            Computing the vector on every query was fine for a prototype and too slow for
            production. We added a stored, generated column for the vector and a GIN index on it,
            which brought typical queries down to a few milliseconds.

            ## What we gave up

            - Typo tolerance. A misspelled word now finds nothing, so the results page suggests
              checking spelling.
            - Fancy highlighting. We use `SearchHeadline` for snippets, which is simpler but good
              enough.
            - One more service to monitor, which we were happy to lose.

            Three months on, search traffic is unchanged and nobody has asked for the old service
            back. The indexing job no longer exists, so it can no longer fail.
            """,
    ),
    PostSpec(
        slug="on-deadlines-and-drafts",
        title="On Deadlines and Drafts",
        author="jonah",
        category="Craft",
        tags=("Writing", "Productivity"),
        days_ago=262,
        excerpt=(
            "A deadline does not make writing worse; the absence of a draft does. Splitting the "
            "work into visible stages makes time pressure useful instead of paralysing."
        ),
        markdown="""
            I used to believe I wrote best under pressure. What I actually did was avoid writing
            until pressure forced me to start, then produce a first draft and a final draft in the
            same frantic evening. The pieces were fine. They would have been much better with a
            second draft, which the schedule never left room for.

            ## Deadlines for stages, not just the end

            The fix was to stop treating the deadline as a single date. Now every piece has four,
            and the first one is very early:

            1. A messy first draft, complete from start to finish, however rough.
            2. A structural revision, after at least one night away from the text.
            3. A line edit, ideally with another person's notes.
            4. Publication.

            The first deadline is the one that matters. A complete bad draft is worth more than half
            of a good one, because you can revise a whole draft and you can only continue a partial
            one.

            ## Lower the bar to start

            A first draft is allowed to be bad. I write it quickly, leaving placeholder notes like
            "[example here]" and "[check this number]" rather than stopping to research. Stopping to
            look something up is how a forty-minute drafting session turns into an afternoon of
            reading.

            ## Protect the gap

            The most valuable time in the schedule is the gap between the first draft and the
            revision. Time away turns you into a reader of your own work. Even a single night helps.
            A week helps more. When a deadline is tight, I shorten the editing, never the gap,
            because without it editing is just rereading what I already believe I said.
            """,
    ),
    PostSpec(
        slug="reproducible-local-environments-without-heroics",
        title="Reproducible Local Environments Without Heroics",
        author="tomas",
        category="Tools",
        tags=("Python", "Deployment", "Documentation"),
        days_ago=266,
        excerpt=(
            '"Works on my machine" is usually a pinned-versions problem, not a containers '
            "problem. A lockfile and one setup command go a long way."
        ),
        markdown="""
            When a new contributor cannot get a project running, the cause is rarely exotic. Usually
            a dependency was upgraded between the day the project was set up and the day they cloned
            it, and one of the new versions behaves differently. Containers can hide the problem,
            but the simpler fix is to stop the versions from moving.

            ## Lock what you install

            We describe dependencies loosely in the project file, with sensible version ranges, and
            lock the exact resolved versions in a separate file that is committed. Everyone,
            including continuous integration, installs from the lock. Upgrading is a deliberate act:
            update the lock, run the tests, and commit both together.

            ```sh
            python3 -m venv .venv
            .venv/bin/pip install -r requirements.lock
            .venv/bin/pip install -e . --no-deps
            ```

            Tools such as uv and pip-tools make generating the lock painless. The specific tool
            matters less than the rule: nobody installs anything that is not in the lock.

            ## Pin the interpreter too

            A surprising number of problems come from the Python version itself. A `.python-version`
            file and a `requires-python` range in the project file make the expectation explicit,
            and the setup script can refuse to continue on the wrong version with a clear message.

            ## One command to set up

            - Create the virtual environment and install from the lock.
            - Copy the example environment file if no real one exists.
            - Run the database migrations and load demo content.
            - Print the URL to open and the demo login.

            When setup is a single command that works on a clean machine, onboarding stops being a
            rite of passage. We check it in CI by running it in a fresh container on every change to
            the dependency files.
            """,
    ),
    PostSpec(
        slug="what-a-health-check-should-actually-check",
        title="What a Health Check Should Actually Check",
        author="tomas",
        category="Engineering",
        tags=("Deployment", "Django", "Testing"),
        days_ago=277,
        excerpt=(
            "A health endpoint that always returns 200 is decoration. One that checks everything "
            "takes the site down when a dependency hiccups. Here is the middle path."
        ),
        markdown="""
            The first health check most of us write returns `200 OK` and nothing else. It proves the
            process is running, which the orchestrator already knew. The second version usually
            overcorrects: it pings the database, the cache, the mail relay, and three external APIs,
            and the site goes down whenever any of them is slow.

            ## Liveness and readiness are different questions

            Liveness asks "should this process be restarted?" Readiness asks "should this process
            receive traffic right now?" They deserve separate endpoints because their answers have
            different consequences.

            - **Liveness** checks only the process itself. If it fails, restarting helps.
            - **Readiness** checks dependencies the app cannot serve without, such as the primary
              database.
            - **Neither** should check optional services. A slow mail relay should degrade a
              feature, not remove every instance from the load balancer.

            ## Keep it cheap

            A readiness probe runs every few seconds on every instance. It should cost almost
            nothing:

            ```python
            def ready(request: HttpRequest) -> JsonResponse:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return JsonResponse({"status": "ok"})
            ```

            No queries against real tables, no authentication, no template rendering. Exclude it
            from request logging, or it will drown everything else.

            ## Report, don't decide

            For the optional dependencies, expose their state on a separate status page that humans
            read. Knowing that the search index is ten minutes stale is useful. Having the load
            balancer act on that knowledge usually is not.
            """,
    ),
    PostSpec(
        slug="async-by-default-sync-by-choice",
        title="Async by Default, Sync by Choice",
        author="aiko",
        category="Culture",
        tags=("Remote Work", "Teams", "Writing"),
        days_ago=283,
        excerpt=(
            "Remote teams that treat every question as urgent end up in meetings all day. "
            "Defaulting to written, asynchronous work frees time for the conversations that "
            "really need to be live."
        ),
        markdown="""
            When our team went fully remote, we carried over our office habits. Questions were asked
            in chat and expected to be answered within minutes. Meetings filled the calendar because
            they felt like the only reliable way to get everyone's attention. Within a few months,
            people across four timezones were either online at odd hours or constantly behind.

            ## The default flipped

            We made a deliberate change: written and asynchronous unless there is a good reason
            otherwise. Chat messages are not expected to be answered immediately. Decisions happen
            in documents with comment threads and a deadline. Status updates are posts that people
            read when they start their day, not meetings they attend.

            This is not about avoiding each other. It is about respecting that a colleague's focused
            morning is worth more than your five-minute convenience.

            ## When we choose to meet

            - When a written discussion has gone back and forth three times without converging.
            - When the topic is sensitive, personal, or likely to be misread in text.
            - When a group is new and needs to build familiarity.
            - When something is on fire, which is what on-call and incident channels are for.

            ## Habits that make it work

            Write messages that can be answered without a follow-up question: include the context,
            the link, and what you need. Say when you need an answer by, so the reader can judge
            urgency instead of guessing. And keep a shared, searchable record of decisions, because
            asynchronous teams forget things in a different way from co-located ones.

            The calendar is calmer now. The meetings that remain are ones people are glad to attend,
            because each one exists for a reason someone had to state.
            """,
    ),
    PostSpec(
        slug="notes-from-a-very-small-incident",
        title="Notes From a Very Small Incident",
        author="aiko",
        category="Field Notes",
        tags=("Deployment", "Teams"),
        days_ago=291,
        excerpt=(
            "For nineteen minutes, images on the site failed to load. The cause was trivial. The "
            "write-up was still worth doing, and here is why."
        ),
        markdown="""
            On a quiet Thursday afternoon, every image on the site stopped loading for nineteen
            minutes. Text, styles, and scripts were fine. Readers saw articles with empty boxes
            where the pictures should be. It was not a disaster. We wrote it up anyway, in the same
            format we use for large incidents, and I think the small ones teach more.

            ## Timeline

            - **14:02** A configuration change updated the allowed origins for the media storage
              bucket.
            - **14:05** The first reader report arrived by email: "pictures are broken".
            - **14:11** The on-call engineer confirmed the problem and found the recent change.
            - **14:21** The change was reverted, and images began loading again as caches expired.

            ## What went wrong

            The change was meant to add a new domain to the list of allowed origins. The
            configuration format expected a list, and the change supplied a single string. The tool
            accepted it, interpreted the string as the whole list, and every other origin, including
            our own site, was dropped.

            ## Why it was worth writing up

            A small incident has all the ingredients of a large one: a change that looked safe, a
            gap in validation, and a delay between the change and anyone noticing. Because the
            stakes were low, people talked about it openly, and the actions were easy to agree on.

            1. Validate the storage configuration in CI against a schema, so a string where a list
               belongs fails the build.
            2. Add a synthetic check that loads one image from the public site every minute.
            3. Note in the runbook that media problems show up in reader email before they show up
               in metrics.

            The next configuration mistake, whatever it is, will be caught by the first two. The
            third is just true, and worth remembering.
            """,
    ),
    PostSpec(
        slug="naming-things-together",
        title="Naming Things Together",
        author="priya",
        category="Culture",
        tags=("Teams", "Documentation", "Writing"),
        days_ago=294,
        excerpt=(
            "When designers, engineers, and writers use different names for the same thing, every"
            " conversation carries a translation cost. A shared glossary is cheap to start and "
            "pays off quickly."
        ),
        markdown="""
            For a while, the same feature had three names on our team. Designers called it the
            "reading list", engineers called it "bookmarks" because that was the model name, and the
            interface said "Saved". Every conversation about it began with a moment of translation,
            and at least one bug was filed against the wrong thing because of it.

            ## Names are shared infrastructure

            We tend to treat naming as a private choice: the engineer names the model, the designer
            names the screen, the writer names the button. But names leak. They show up in support
            tickets, analytics events, URLs, and the words people use in meetings. When they
            disagree, the cost is spread thinly across everyone, which is why nobody fixes it.

            ## Start a glossary

            Our fix was modest: a single page listing the important nouns in the product, each with
            one definition and one name to use everywhere.

            | Term | Meaning | Not to be confused with |
            | --- | --- | --- |
            | Post | A published piece of writing | Draft, which is not public |
            | Saved | Posts a reader chose to keep | Following, which is about authors |
            | Category | The one section a post belongs to | Tag, of which a post can have several |

            Each entry includes the words we decided *not* to use, which turned out to be the most
            useful column.

            ## Rename when it is cheap

            Not every mismatch is worth a migration. But when a feature is being reworked anyway, we
            take the chance to align the code with the glossary. The model is now called
            `SavedPost`. It was a small change, made at the right moment, and the translation step
            in our conversations has gone.
            """,
    ),
    PostSpec(
        slug="writing-documentation-people-finish",
        title="Writing Documentation People Finish",
        author="jonah",
        category="Craft",
        tags=("Documentation", "Writing", "Open Source"),
        days_ago=304,
        excerpt=(
            "Most documentation fails not because it is wrong but because readers give up before "
            "they reach the part they needed. Structure decides whether they get there."
        ),
        markdown="""
            The documentation for a project I maintain had every fact a new contributor needed. We
            knew, because we wrote it all down. We also knew from our analytics that most visitors
            read the first screen of the setup page and left. The information was there; the path to
            it was not.

            ## Know which question the reader has

            Readers arrive at documentation with one of a few kinds of question, and each needs a
            different kind of page. The Diátaxis framework names four: tutorials for learning,
            how-to guides for tasks, reference for facts, and explanation for understanding. Mixing
            them is the most common reason a page feels long and unhelpful. A tutorial that stops to
            list every configuration option loses the learner; a reference page that tells a story
            wastes the expert's time.

            ## Put the answer first

            Within a page, lead with what most readers came for. The installation page should start
            with the command to run, not with the history of the project. Background and caveats can
            follow, clearly labelled, for those who need them.

            ```console
            $ pip install inkwell
            $ inkwell init my-site
            $ cd my-site && inkwell run
            ```

            If those three lines work, half of our readers are done. The rest of the page is for the
            other half.

            ## Test it like code

            Documentation rots silently. We now run the commands in our quick-start guide in
            continuous integration, so a renamed flag breaks the build rather than a newcomer's
            first afternoon. And once a quarter, someone who has never set the project up follows
            the guide with a maintainer watching, silently. It is the single most useful hour of
            documentation work we do.
            """,
    ),
    PostSpec(
        slug="shell-aliases-i-actually-use",
        title="Shell Aliases I Actually Use",
        author="tomas",
        category="Tools",
        tags=("Terminal", "Git", "Productivity"),
        days_ago=311,
        excerpt=(
            "Most alias collections are aspirational. These are the seven I type every day, and "
            "the reasoning behind each one."
        ),
        markdown="""
            I once copied a popular collection of two hundred shell aliases into my configuration. A
            month later, I had used four of them. Aliases only help when they replace something you
            already type often, so I now add one only after I notice myself typing the same thing
            repeatedly.

            ## The seven that stuck

            ```sh
            alias gs='git status --short --branch'
            alias gl='git log --oneline --graph --decorate -20'
            alias gd='git diff --stat'
            alias gco='git switch'
            alias serve='python3 -m http.server 8000'
            alias ports='ss -tlnp'
            mkcd() { mkdir -p "$1" && cd "$1"; }
            ```

            **gs** gives a compact status that fits on screen even in a busy branch. **gl** shows
            the recent shape of history, which I check before almost every rebase. **gd** summarises
            what changed before I look at the full diff. **gco** uses `git switch`, which is clearer
            than the overloaded `checkout`.

            The other three are not about Git. **serve** shares a folder over HTTP when I need to
            check a static build. **ports** answers "what is already listening on 8000?" And
            **mkcd** is a function rather than an alias, because it needs an argument in the middle.

            ## Rules for adding one

            - I must have typed the full command at least ten times in a week.
            - The alias must be short and guessable from the command it replaces.
            - It must not shadow an existing command, which causes confusion on other machines.

            ## Keep them portable

            I keep my aliases in a single file in a dotfiles repository, sourced by my shell
            configuration. When I work on a new machine, it takes one clone and one line to feel at
            home, and the list stays short enough that I remember every entry.
            """,
    ),
    PostSpec(
        slug="feature-flags-have-a-shelf-life",
        title="Feature Flags Have a Shelf Life",
        author="mara",
        category="Engineering",
        tags=("Teams", "Deployment", "Testing"),
        days_ago=316,
        excerpt=(
            "Flags let us ship safely, and then they stay forever. A few rules for keeping them "
            "from turning the codebase into a maze."
        ),
        markdown="""
            Feature flags are one of the best tools we have for shipping safely. They decouple
            deploying code from releasing behaviour, they let us test with real traffic, and they
            turn a scary launch into a dial. They also accumulate. Two years in, we had ninety
            flags, and nobody could say with confidence what happened if you turned off number
            forty-three.

            ## Every flag is a fork

            Each boolean flag doubles the number of paths through the code it touches, at least in
            principle. Most combinations never occur, but nobody can prove which ones, so tests
            quietly cover only the default. A colleague put it better than I can:

            > A flag you never remove is not a flag. It is a configuration option nobody designed.

            ## Rules we adopted

            We did not ban flags. We gave them an expiry date and an owner.

            1. A release flag is created with a removal date, usually four weeks out, in the same
               pull request.
            2. The owner gets a reminder when the date passes, and the flag is listed on the team
               board until it is gone.
            3. Permanent switches, such as a kill switch for an expensive feature, are renamed as
               settings and documented as such.
            4. Tests run with the flag both on and off while it exists, and the off branch is
               deleted with the flag.

            The count is now under twenty, and each remaining flag has a person attached to it.
            Removing a flag has become a small, satisfying ritual rather than an archaeology
            project.
            """,
    ),
    PostSpec(
        slug="designing-for-the-slow-connection",
        title="Designing for the Slow Connection",
        author="aiko",
        category="Design",
        tags=("Performance", "Accessibility"),
        days_ago=328,
        excerpt=(
            "Most of our readers are not on office Wi-Fi. Testing on a throttled connection "
            "changed what we thought the homepage needed."
        ),
        markdown="""
            Our analytics said the median reader loaded the homepage in under two seconds. Then we
            looked at the slowest quarter of visits and found readers waiting eight seconds or more,
            mostly on mobile connections in places with patchy coverage. The median had been hiding
            the people who struggled most.

            ## Test the way readers browse

            We added a throttled profile to our design review. Every new page is opened at least
            once on an emulated slow 3G connection with the cache disabled. It is humbling. Web
            fonts arrive late, hero images crawl in line by line, and layout shifts push the text
            around just as you start reading.

            ## What changed

            The fixes were rarely exotic:

            1. Text first. The article renders in a system font stack immediately, and the web font
               swaps in if it arrives quickly enough.
            2. Images have explicit width and height, so the layout does not jump, and
               below-the-fold images load lazily.
            3. The homepage hero became optional. On slow connections, a strong headline does the
               same job.
            4. Scripts that are not needed to read are deferred, and the page works without them.

            ## Speed is a design decision

            It is tempting to treat performance as an engineering concern that happens after design
            is done. In practice, the choices that matter most are made in the mock-up: how many
            fonts, how many images, how much moves. A design that reads well on a slow connection
            tends to read well everywhere. The reverse is rarely true.
            """,
    ),
    PostSpec(
        slug="shipping-live-comments-slowly",
        title="Shipping Live Comments, Slowly",
        author="aiko",
        category="Field Notes",
        tags=("Django", "Performance", "Testing"),
        days_ago=330,
        excerpt=(
            "Live-updating comments looked like a two-day feature. It took three weeks, mostly "
            "spent on the cases that only happen when many people are reading at once."
        ),
        markdown="""
            Live comments, where new replies appear without reloading the page, sounded simple when
            we scoped them: open a WebSocket, push new comments as they are saved, insert them into
            the page. The prototype worked in an afternoon. The feature took three weeks, and these
            notes are about where the time went.

            ## Things the prototype ignored

            - **Transactions.** The first version broadcast a comment as soon as it was saved,
              inside the transaction. When a later step failed and rolled back, readers had already
              seen a comment that did not exist. Broadcasting after commit fixed it.
            - **Reconnection.** Mobile readers drop connections constantly. Each reconnect now asks
              for comments newer than the last one it saw, so nothing is missed in the gap.
            - **Moderation.** A comment held for review must not be broadcast at all, and one that
              is later approved must be, exactly once.
            - **Permissions.** A reader who cannot see a post must not be able to subscribe to its
              comments by guessing an identifier.

            ## What kept it manageable

            We kept the WebSocket consumer deliberately thin. It authenticates the connection,
            checks the reader can see the post, joins a group, and relays events. It never writes to
            the database. Every comment still arrives through an ordinary HTTP request and the same
            service that validates and stores it, so there is one place where the rules live.

            ## Testing it

            The tests that caught the most bugs ran two simulated readers against the same post: one
            posting, one listening, with a deliberate disconnect in the middle. They are slower than
            unit tests, and we mark them so they can be skipped locally. They have caught three
            regressions so far, each of which would have been very hard to reproduce by hand.
            """,
    ),
    PostSpec(
        slug="feedback-that-lands",
        title="Feedback That Lands",
        author="jonah",
        category="Culture",
        tags=("Teams", "Editing", "Career"),
        days_ago=335,
        excerpt=(
            "Most feedback fails not because it is wrong but because it is vague, late, or mixed "
            "with too much else. A few habits from editing translate well to teams."
        ),
        markdown="""
            As an editor, I give feedback for a living, and I have had plenty of practice getting it
            wrong. Notes that were correct but arrived too late to act on. Notes so gentle that the
            writer did not realise anything needed to change. Notes so numerous that the one that
            mattered was lost among the rest. The same mistakes happen in every team.

            ## Specific beats kind, and specific is kind

            "This section is confusing" gives the other person a feeling and no direction. "I lost
            the thread when the example switched from posts to comments; could the example stay with
            posts?" gives them something to do. Specific feedback is easier to act on and, perhaps
            surprisingly, easier to hear, because it is clearly about the work.

            ## Fewer, sooner

            Feedback is most useful when there is still time to act on it. A rough comment on an
            outline is worth more than a polished review of a finished draft. I try to give the most
            important note first, and to cap myself at three substantive points per round. If there
            are more, the first three usually fix them.

            ## A structure that helps

            For anything larger than a quick comment, I use a simple order:

            1. What is working, specifically, so it survives the revision.
            2. The one or two changes that would most improve it, with reasons.
            3. Smaller points, clearly marked as optional.

            ## Ask how they want it

            People differ in how they like to receive feedback. Some want it blunt and written,
            others prefer a conversation. Asking once, early, saves a lot of misunderstanding later.
            And when you receive feedback yourself, thank the person before you respond to the
            substance. It makes the next piece of honest feedback more likely to arrive.
            """,
    ),
    PostSpec(
        slug="turning-on-strict-type-checking-gradually",
        title="Turning On Strict Type Checking Gradually",
        author="tomas",
        category="Tools",
        tags=("Python", "Testing"),
        days_ago=344,
        excerpt=(
            "Enabling strict mode on a large codebase produces thousands of errors. Turning it on"
            " module by module makes the migration steady instead of demoralising."
        ),
        markdown="""
            The first time we ran mypy in strict mode on our main codebase, it reported a little
            over three thousand errors. Fixing them all before enabling the check would have taken
            months, and in the meantime new code would keep adding more. So we turned strict mode on
            for everything and then carved out temporary exceptions.

            ## Strict by default, exceptions by module

            The key is that new code is strict from day one. Old modules get an override that
            relaxes the rules, and each override is a small piece of debt with a clear location.

            ```toml
            [tool.mypy]
            strict = true

            [[tool.mypy.overrides]]
            module = ["legacy.reports.*", "legacy.importers.*"]
            ignore_errors = true
            ```

            Every module removed from the override list is a small, reviewable pull request. We made
            a habit of removing one whenever we touched a legacy module for another reason.

            ## What strictness found

            Strict typing is often sold as documentation, and it is. For us, it also found real
            bugs. Functions that could return `None` in an error path that callers never handled. A
            dictionary key that was a string in one place and an integer in another. A datetime that
            was sometimes naive. Each had been in production for years, waiting for an unusual
            input.

            ## Things that helped

            - Type stubs for the framework and major libraries, installed before anything else.
            - `reveal_type()` in a scratch file, which answers "what does mypy think this is?"
              instantly.
            - Avoiding `Any` in new code, and treating each `type: ignore` as a comment that must
              explain itself.

            It took eight months to empty the override list. Nobody had to stop feature work to do
            it, and the codebase was measurably easier to change at the end.
            """,
    ),
    PostSpec(
        slug="the-paragraph-as-a-unit-of-thought",
        title="The Paragraph as a Unit of Thought",
        author="priya",
        category="Craft",
        tags=("Writing", "Editing", "Typography"),
        days_ago=348,
        excerpt=(
            "A paragraph break is a promise that one idea has ended and another begins. Keeping "
            "that promise makes long pieces much easier to follow."
        ),
        markdown="""
            Designers think about paragraphs as blocks of text with space around them. Writers think
            about them as units of meaning. The best paragraphs are both at once: visually a single
            block and logically a single idea, with the break between them marking a real change in
            direction.

            ## One idea, stated early

            A useful paragraph usually opens with a sentence that says what the paragraph is about.
            The sentences after it support, illustrate, or qualify that idea. If you can read only
            the first sentence of each paragraph and still follow the argument, the paragraphs are
            doing their job. It is a quick test, and a revealing one.

            ## Length follows thought

            There is no correct paragraph length, but there are warning signs. A paragraph that runs
            past a screen on a phone is often two ideas sharing a block. A run of one-sentence
            paragraphs is often one idea chopped into pieces for emphasis, which stops feeling
            emphatic by the third.

            Online, slightly shorter paragraphs read better than in print, because narrow columns
            make every paragraph taller. But shortening should come from splitting at real joints in
            the argument, not from inserting breaks every few lines.

            ## The break is punctuation

            Treat the paragraph break like the strongest punctuation mark you have. It tells the
            reader to pause, take stock, and get ready for something new. Used carelessly, it
            fragments a piece. Used well, it gives long writing a rhythm that readers feel as ease.

            When editing, I sometimes strip all the paragraph breaks from a section and put them
            back one at a time, only where the thought genuinely turns. The result usually has
            fewer, better paragraphs, and each one reads as a step in the argument.
            """,
    ),
    PostSpec(
        slug="icons-need-words",
        title="Icons Need Words",
        author="priya",
        category="Design",
        tags=("Accessibility", "Writing"),
        days_ago=359,
        excerpt=(
            "An icon on its own is a riddle. Labels make interfaces faster to learn, easier to "
            "translate, and usable with a screen reader."
        ),
        markdown="""
            We ran a small test last spring. We showed twenty readers a toolbar of eight icons and
            asked what each did. Only three were identified correctly by everyone: print, search,
            and close. The rest, including a bookmark that several people read as "flag" and a share
            icon that one person thought meant "connect", were guesses.

            ## Recognition is not universal

            Icons feel universal because designers see them all day. For everyone else, most are
            learned conventions, and the conventions differ between platforms, products, and
            cultures. A floppy disk still means "save" to many people, but it is a historical
            reference to many others.

            > If you need a tooltip to explain an icon, the icon has not done its job. Put the word
            > on the button.

            ## Labels cost less than you think

            The usual objection is space. In practice, labels often fit if you remove the least-used
            actions, and the actions that remain are used more because people understand them. Where
            space is truly limited, we follow a few rules:

            - Primary actions get a visible text label, with or without an icon.
            - Icon-only buttons are reserved for the handful everyone recognises.
            - Every icon-only button has an accessible name, so screen readers announce "Close
              dialog", not "button".
            - Labels are translated with the rest of the interface, which icons never are.

            Since we added labels to the post editor's toolbar, support questions about "the little
            arrow thing" have all but stopped. It turns out that the clearest icon for "publish" is
            the word publish.
            """,
    ),
    PostSpec(
        slug="reading-a-slow-query-plan",
        title="Reading a Slow Query Plan",
        author="mara",
        category="Engineering",
        tags=("PostgreSQL", "Performance"),
        days_ago=365,
        excerpt=(
            "EXPLAIN ANALYZE output looks intimidating, but you only need to read three things to"
            " find most problems: row estimates, the slowest node, and what it is scanning."
        ),
        markdown="""
            The first time I ran `EXPLAIN ANALYZE` on a slow query, I got forty lines of output and
            understood none of them. I now read plans regularly, and the secret is that you can
            ignore most of what is printed. Three things find the majority of problems.

            ## Estimates versus reality

            Each node shows how many rows the planner *expected* and how many it *got*. When those
            numbers differ by orders of magnitude, the planner made its choices based on a wrong
            picture of the data. Often the fix is as simple as running `ANALYZE` on the table, or
            raising the statistics target for a skewed column.

            ## Find the expensive node

            Times in a plan are cumulative, so the top node always looks slow. Work down until you
            find the node whose own time accounts for most of the total. That is where to look.

            ```text
            Sort  (actual time=812.4..812.9 rows=20 loops=1)
              ->  Seq Scan on blog_post  (actual time=0.02..790.1 rows=412000 loops=1)
                    Filter: (status = 'published')
                    Rows Removed by Filter: 1900
            ```

            Here the sort is cheap; the sequential scan reading four hundred thousand rows to return
            twenty is the real cost.

            ## Check the access path

            A sequential scan is not always bad. On a small table, it is often the fastest option.
            On a large one, paired with a `LIMIT`, it usually means an index is missing or cannot be
            used. In the example above, an index on `(status, published_at DESC)` lets the planner
            read the twenty newest published rows directly.

            Make a change, run the plan again, and compare. Reading plans is mostly a habit of
            checking instead of guessing.
            """,
    ),
    PostSpec(
        slug="idempotency-for-people-who-retry",
        title="Idempotency for People Who Retry",
        author="tomas",
        category="Engineering",
        tags=("Python", "Django", "Testing"),
        days_ago=373,
        excerpt=(
            "Networks fail, users double-click, and cron jobs overlap. Designing operations that "
            "are safe to run twice is cheaper than explaining why they are not."
        ),
        markdown="""
            Every operation that can be triggered will eventually be triggered twice. A reader
            double-clicks "subscribe", a mobile client retries after a timeout that actually
            succeeded, and a deploy script runs the setup step again because the first run printed
            an error. If the second run changes something, you have a bug that shows up only in the
            worst conditions.

            ## Identify the natural key

            Most idempotency comes from answering one question: what makes this thing *the same*
            thing? For a user, it is the email address. For a post, the slug. For a payment, an
            idempotency key the client generates once and sends with every retry.

            ```python
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, username=username)
            ```

            This is not race-free on its own, which is why the natural key also needs a unique
            constraint. The check makes the common case fast and quiet; the constraint makes the
            rare concurrent case fail loudly instead of creating a duplicate.

            ## Make commands rerunnable

            Setup and seed commands are where this pays off most visibly. A command that creates
            demo content should report what already existed and create only what is missing. Wrap
            the run in a transaction, so a failure halfway through leaves nothing behind, and print
            a summary a person can check at a glance.

            When every step is safe to repeat, recovery instructions become one line: run it again.
            That is the kind of runbook people actually follow at two in the morning.
            """,
    ),
    PostSpec(
        slug="leaving-a-project-well",
        title="Leaving a Project Well",
        author="jonah",
        category="Culture",
        tags=("Career", "Documentation", "Teams"),
        days_ago=376,
        excerpt=(
            "Everyone leaves a project eventually. How you hand it over decides whether the "
            "people after you inherit a working system or a mystery."
        ),
        markdown="""
            Every project outlives someone's involvement in it. People change teams, change jobs, or
            simply move on to new work. The hand-over is rarely planned with the same care as the
            project itself, and the people who inherit it often spend months reconstructing what the
            original team knew.

            ## Write down what only you know

            The hardest knowledge to transfer is the knowledge you do not realise you have. A useful
            exercise is to list everything you did on the project in the last month, including the
            small, routine things. Each item is a question for the hand-over: is this documented,
            and could someone else do it tomorrow?

            - The monthly report you fix by hand because one source is always late.
            - The deploy that needs a cache cleared afterwards.
            - The stakeholder who needs a phone call, not an email.
            - The reason an odd piece of code exists, which is in your head and nowhere else.

            ## Pair before you leave

            Documentation helps, but it is no substitute for doing the work together. Spend your
            last weeks with the person taking over doing the tasks side by side, with them driving.
            Every time they hesitate, you have found a gap to fill.

            ## Leave the history findable

            Decisions are the part of a project most easily lost. If the reasoning behind the big
            choices lives in documents, commit messages, and issue threads, point to them from one
            place. A short "start here" page with links to the important decisions is worth more
            than a long summary.

            ## Stay reachable, briefly

            Offer to answer questions for a month or two after you leave, and mean it. Most
            questions come in the first few weeks. Being available for them is a kindness that costs
            little, and it is how people remember the way you left.
            """,
    ),
    PostSpec(
        slug="search-your-codebase-like-you-mean-it",
        title="Search Your Codebase Like You Mean It",
        author="tomas",
        category="Tools",
        tags=("Terminal", "Productivity", "Git"),
        days_ago=386,
        excerpt=(
            "A fast, gitignore-aware search tool changes how you navigate a codebase. A few flags"
            " turn it from a grep replacement into the quickest way to answer questions about "
            "your code."
        ),
        markdown="""
            I use ripgrep dozens of times a day, and for a long time I used it exactly like grep:
            type a word, get a wall of results. Learning a handful of options turned it into the
            fastest way I know to answer questions about a codebase, including ones I would once
            have asked a colleague.

            ## The flags I reach for

            ```sh
            rg -t py "on_commit"             # only Python files
            rg -w "Post"                     # whole word, not PostForm or Posting
            rg -l "select_related"           # just the file names
            rg -g '!migrations' "AddField"   # exclude a directory by glob
            rg -F "{{ post.title }}"         # fixed string, no regex surprises
            rg -C 3 "def publish_post"       # three lines of context
            ```

            Because ripgrep respects `.gitignore` by default, it skips virtual environments, build
            output, and dependencies without being told. That single default is most of why it feels
            fast.

            ## Questions it answers quickly

            - Where is this setting read? Search for its name across code and templates at once.
            - Who calls this function? A whole-word search for the name finds most call sites,
              including in tests.
            - Is this template variable still used? A fixed-string search across templates answers
              it in milliseconds.
            - What did we name that thing? List files matching a word with `rg --files | rg word`.

            ## Search before you ask

            The most valuable habit is cultural rather than technical. Before asking a colleague
            where something lives, spend thirty seconds searching. Most of the time the answer
            appears. When it does not, the question you ask is better, because you can say where you
            already looked.

            Search is no substitute for a good editor's "go to definition". But it works on every
            kind of file, in every project, on any machine you log in to, which makes it the tool I
            miss most when it is not there.
            """,
    ),
    PostSpec(
        slug="whitespace-is-not-empty",
        title="Whitespace Is Not Empty",
        author="priya",
        category="Design",
        tags=("Typography", "Accessibility"),
        days_ago=393,
        excerpt=(
            "Space between elements is where grouping, hierarchy, and rhythm come from. Treating "
            "it as wasted room produces crowded pages that are harder to scan."
        ),
        markdown="""
            Every design review eventually includes someone pointing at an empty area and asking
            what could go there. It is a fair question, and the answer is often "nothing, on
            purpose". Whitespace is not the absence of design. It is how a page tells the reader
            which things belong together.

            ## Proximity is grouping

            Readers group elements that are close together, before they read a single word. A
            heading sitting equally between two paragraphs is ambiguous; the same heading placed
            closer to the paragraph it introduces is not. We now set the space above a heading at
            roughly twice the space below it, which makes each section read as one unit.

            ## Rhythm comes from a scale

            Just as with font sizes, spacing works best when it comes from a small set of values
            rather than whatever looks right in the moment. We use a spacing scale based on
            multiples of the body line height. Vertical rhythm keeps long articles calm to read, and
            it makes inconsistent spacing stand out in review, because an odd value looks wrong once
            everything else is regular.

            ## Space as emphasis

            Whitespace is also the quietest way to emphasise something. A pull quote surrounded by
            generous margins draws the eye without bold, colour, or size. The same trick works for
            calls to action: giving a single button room to stand alone often outperforms making it
            larger or brighter.

            The hardest part is defending space in a meeting. What helped us was showing two
            versions side by side and asking people to find one specific item on each. The spacious
            version won every time, and the empty area stopped looking empty.
            """,
    ),
    PostSpec(
        slug="three-months-of-weekly-changelogs",
        title="Three Months of Weekly Changelogs",
        author="aiko",
        category="Field Notes",
        tags=("Documentation", "Writing", "Teams"),
        days_ago=398,
        excerpt=(
            "We started publishing a short changelog every Friday. Writing it took twenty minutes"
            " a week and changed how we chose what to work on."
        ),
        markdown="""
            Three months ago, we started publishing a changelog every Friday: a short, plain post
            listing what changed on the site that week, written for readers rather than engineers.
            It was meant to be a small courtesy. It turned into one of the more useful habits the
            team has.

            ## The format

            Each entry has the same three sections, and most weeks the whole thing is under two
            hundred words.

            | Section | What goes in it | Example |
            | --- | --- | --- |
            | New | Things readers can do now | Save posts to read later |
            | Improved | Things that work better | Search handles quoted phrases |
            | Fixed | Things that were broken | Images in old issues load again |

            Anything internal, such as refactors or dependency updates, is left out unless a reader
            would notice. That rule keeps the changelog honest: if a week's work produced nothing a
            reader would notice, the changelog says so.

            ## What changed for the team

            Knowing that Friday's post would describe the week's work in readers' terms changed how
            we chose that work. A week spent entirely on invisible improvements is sometimes right,
            but having to write "no visible changes this week" made us notice when it happened three
            times in a row.

            It also improved our release notes internally. Engineers started writing pull request
            descriptions with a one-line summary for the changelog, which made reviews easier too.

            ## What readers said

            Not much, at first. Then, around week six, replies started arriving: thanks for a fix, a
            question about a new feature, and a few bug reports from people who now knew where to
            look. Readers who can see that a site is being cared for are more willing to tell you
            when something is wrong.
            """,
    ),
    PostSpec(
        slug="titles-that-tell-the-truth",
        title="Titles That Tell the Truth",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing"),
        days_ago=410,
        excerpt=(
            "A clever title attracts a click; a clear one attracts the right reader. For anything"
            " people will search for or return to, clarity wins."
        ),
        markdown="""
            I once spent an hour on a title that was a pun on a song lyric. It was, I thought,
            rather good. The post did well on the day it was published, then vanished, because
            nobody searching for the problem it solved would ever type the pun. A year later, I
            renamed it with a plain description of the problem. It has been one of our most-read
            posts ever since.

            ## Say what the reader gets

            The job of a title is to let the right reader recognise that this piece is for them.
            That usually means naming the problem or the promise in the reader's own words.
            "Pagination Without Regret" is a reasonable title; "How to Paginate Large Tables in
            PostgreSQL" is better for the person with a slow archive page and a search box.

            ## A few patterns that work

            - **The direct claim.** "Line Length Is a Kindness" tells you the argument before you
              start.
            - **The specific how-to.** Start with the task and include the tool by name.
            - **The honest report.** "What Broke When We Moved to UTC" promises a story and delivers
              one.

            Each of these survives being read in a list of twenty other titles, with no image and no
            context, which is how most titles are read.

            ## Cleverness can wait

            There is room for wit, especially in essays that readers find through people rather than
            search. Even then, a clear subtitle or excerpt can carry the information so the title
            can carry the tone. The test is simple. Read the title to someone who has not seen the
            piece and ask what they think it covers. If their answer is close to the truth, the
            title is doing its job.
            """,
    ),
    PostSpec(
        slug="notes-toward-a-house-style-guide",
        title="Notes Toward a House Style Guide",
        author="jonah",
        category="Craft",
        tags=("Writing", "Editing", "Documentation"),
        days_ago=None,
        excerpt=(
            "A work-in-progress list of the style decisions we keep relitigating, gathered so we "
            "can settle them once."
        ),
        markdown="""
            This is a draft, and it is meant to stay one for a while. Every few weeks, an editing
            thread turns into a debate about a style question we have settled before and forgotten:
            whether to capitalise headings, how to write numbers, whether "email" has a hyphen. This
            page collects those decisions so we can stop rediscovering them.

            ## Decisions so far

            - Headings use sentence case, not title case, except for post titles.
            - Numbers from one to nine are written as words; 10 and above as digits, except in
              tables and code.
            - "Email" has no hyphen. "Log in" is a verb; "login" is a noun.
            - Dates in prose are written as 14 March 2025, never as 03/14/25.

            ## Still open

            The serial comma is the longest-running argument on the list. Two editors favour it for
            clarity, one finds it fussy. My current proposal is to use it, because the ambiguity it
            prevents is real and the cost is one character.

            > Before this becomes a page, each rule needs an example of the mistake it prevents.
            > Rules without reasons do not survive the next new editor.

            ## To do before publishing

            Gather examples from recent edits, ask the whole team to add the questions they look up
            most often, and decide who owns the guide once it exists. A style guide nobody maintains
            becomes a list of old arguments, which is roughly what we have now.
            """,
    ),
    PostSpec(
        slug="what-our-analytics-dont-say",
        title="What Our Analytics Don't Say",
        author="aiko",
        category="Field Notes",
        tags=("Writing", "Teams"),
        days_ago=None,
        excerpt=(
            "Draft notes on the gap between what page-view numbers suggest and what readers told "
            "us in interviews."
        ),
        markdown="""
            Draft: not ready to publish. These notes started after the reader interviews, when
            several findings contradicted what our analytics had seemed to say. The numbers were not
            wrong. We had been asking them questions they could not answer.

            ## Where the numbers misled us

            Time on page looked like a measure of engagement. In interviews, readers described
            leaving tabs open for hours and never returning to them. Low homepage traffic looked
            like a problem, when in fact our most loyal readers arrived through the newsletter and
            never needed the homepage at all.

            ## Why it matters

            A metric that is easy to collect tends to become the thing we optimise, whether or not
            it measures what we care about. When the weekly summary led with page views, we wrote
            headlines for page views. When readers told us what they valued, it was depth,
            reliability, and the newsletter arriving on time. None of those appeared on any chart.

            ## What to write up

            1. Three examples where a metric suggested one story and interviews told another.
            2. The questions each metric can honestly answer, stated plainly.
            3. A short proposal for which numbers go in the weekly summary, and which we stop
               reporting.

            ## Open questions

            Is it fair to criticise metrics we chose ourselves? Probably, if the point is to choose
            better ones. I want the finished piece to be useful to other small teams, not a
            complaint about dashboards, and that means ending with the short list of numbers we
            still trust and why.
            """,
    ),
)
