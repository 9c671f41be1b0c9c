from .defaults import *
from .launch import launch
