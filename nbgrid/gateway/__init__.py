"""What nbgrid adds to the Jupyter Kernel Gateway of a worker node (loaded by the gateway, never by a kernel).

- :mod:`nbgrid.gateway.personality`: the gateway's API, the standard ``jupyter-websocket`` one
  with kernel websockets that send every message at once (``--KernelGatewayApp.api``).
"""
