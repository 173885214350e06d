"""A scripted MCP session with `mekhanikube mcp`, driven by the official Python MCP SDK (a real client).

Usage: python mcp_client.py PLAN.json, where the plan is {"server": [argv...], "env": {...}, "calls": [...]} and
each call is {"list_tools": true} or {"tool": NAME, "arguments": {...}, "progress": bool}. Prints one JSON object:
the transcript, one entry per call with what the server answered (a result, a tool error, or a protocol error).
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def main(plan):
    server = StdioServerParameters(command=plan["server"][0], args=plan["server"][1:], env=plan.get("env"))
    transcript = []
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            transcript.append({"initialize": dump(init)})
            for call in plan["calls"]:
                if call.get("list_tools"):
                    transcript.append({"request": "tools/list", "response": dump(await session.list_tools())})
                    continue
                progress = []

                async def on_progress(value, total, message):
                    progress.append({"progress": value, "message": message})

                entry = {"request": "tools/call", "tool": call["tool"], "arguments": call.get("arguments")}
                try:
                    result = await session.call_tool(
                        call["tool"],
                        call.get("arguments"),
                        read_timeout_seconds=call.get("timeout", 120),
                        progress_callback=on_progress if call.get("progress") else None,
                    )
                    entry["response"] = dump(result)
                except MCPError as e:
                    entry["protocol_error"] = {"code": e.error.code, "message": e.error.message}
                entry["progress"] = progress
                transcript.append(entry)
    print(json.dumps(transcript))


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        asyncio.run(main(json.load(f)))
